import type { Exchange, HeaderList } from '../../pipeline/exchange.js';
import { ForwardingExchange } from '../../pipeline/forwarding-exchange.js';
import type { Logger } from '../../observability/logger.js';
import type { PluginInstance } from '../../plugins/load.js';
import type { PluginResponse } from '../../plugin/types.js';
import { isJsonType } from '../../json/media-type.js';
import { callHook, pluginFailed, type HookSite } from './hook-call.js';
import { HeaderView } from './plugin-headers.js';
import type { RequestView } from './request-view.js';

/** The answer as onResponse sees it. */
class ResponseView implements PluginResponse {
  readonly headers: HeaderView;
  #json: unknown;
  jsonChanged = false;

  constructor(public status: number, headers: HeaderList, json: unknown, readonly request: RequestView) {
    this.headers = new HeaderView(headers);
    this.#json = json;
  }

  get json(): unknown { return this.#json; }
  set json(value: unknown) {
    if (this.#json === undefined) throw new TypeError('res.json can be replaced only on a JSON answer held for the plugins (hooks.responseJson: true)');
    this.#json = value;
    this.jsonChanged = true;
  }
}

/** What a route's response hooks need, built once per route. */
export interface ResponsePlan {
  /** Plugins with onResponse, last listed first (answers go through them in reverse). */
  plugins: readonly PluginInstance[];
  /** Largest JSON answer held for res.json; 0: none is held (no plugin asked). */
  jsonLimit: number;
  log: Logger;
}

function contentTypeIsJson(headers: HeaderList): boolean {
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === 'content-type') return isJsonType(String(headers[i + 1]));
  return false;
}

function parseJson(body: string | Buffer): unknown {
  try {
    return JSON.parse(typeof body === 'string' ? body : body.toString('utf8')) as unknown;
  } catch {
    return undefined; // not JSON after all: passes through unchanged, res.json stays undefined
  }
}

/** A stored answer's header lines ("name: value" joined by CRLF) as a flat list. */
function storedHeaders(head: Uint8Array): string[] {
  const out: string[] = [];
  if (head.length === 0) return out;
  for (const line of Buffer.from(head.buffer, head.byteOffset, head.byteLength).toString('latin1').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) out.push(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  return out;
}

/**
 * Runs the route's onResponse hooks on every answer before it is written: status and headers,
 * and the JSON body when a plugin asked for it (held up to jsonLimit; a larger or unparsable one
 * streams through unchanged, res.json undefined). A streamed answer waits, with backpressure,
 * while an async hook runs. A hook that fails makes the answer a 500 problem.
 */
export class PluginResponseExchange extends ForwardingExchange {
  /** A JSON answer being held for res.json. */
  private held: { status: number; headers: HeaderList; total: number; chunks: Buffer[]; size: number } | null = null;
  /** Chunks that arrived while the hooks of a streamed answer ran; null when the head is written. */
  private queue: Buffer[] | null = null;
  private ended = false;
  private dead = false;
  /** The producer's drain callback (set once, at the head), and whether a false from streamWrite owes it a call. */
  private drainCb: (() => void) | null = null;
  private owesDrain = false;

  constructor(real: Exchange, private readonly plan: ResponsePlan, private readonly request: RequestView, private readonly requestId: string, private readonly routeId: string) {
    super(real);
  }

  /** Runs the hooks in order on a view of the answer; `write` gets the view when all are done. */
  private run(status: number, headers: HeaderList, json: unknown, write: (res: ResponseView) => void): void {
    const res = new ResponseView(status, headers, json, this.request);
    const plugins = this.plan.plugins;
    const step = (i: number): void => {
      if (i === plugins.length) {
        if (!this.real.finished) write(res);
        return;
      }
      const plugin = plugins[i]!;
      const site: HookSite = { plugin, hook: 'onResponse', requestId: this.requestId, route: this.routeId };
      callHook(this, site, () => plugin.hooks.onResponse!(res), () => step(i + 1), (err) => {
        this.dead = true;
        pluginFailed(this.real, site, err, this.plan.log, false);
      });
    };
    step(0);
  }

  private headersOf(res: ResponseView, original: HeaderList): HeaderList {
    return res.headers.changed ? res.headers.list : original;
  }

  private heldJson(headers: HeaderList, size: number): boolean {
    return size <= this.plan.jsonLimit && contentTypeIsJson(headers);
  }

  override reply(status: number, headers: HeaderList, body: string | Buffer, closeConnection?: boolean): void {
    const json = this.plan.jsonLimit > 0 && this.heldJson(headers, Buffer.byteLength(body)) ? parseJson(body) : undefined;
    this.run(status, headers, json, (res) => {
      const out = res.jsonChanged ? JSON.stringify(res.json) ?? 'null' : body;
      this.real.reply(res.status, this.headersOf(res, headers), out, closeConnection);
    });
  }

  override replyNoBody(status: number, headers: HeaderList, reportedLength: number): void {
    this.run(status, headers, undefined, (res) => this.real.replyNoBody(res.status, this.headersOf(res, headers), reportedLength));
  }

  /** A stored answer (the cache's) is taken apart into a plain one, so the hooks see its headers. */
  override replyStored(status: number, head: Uint8Array, _nameLength: number, headers: HeaderList, body: Uint8Array | null, reportedLength: number): void {
    const all = (storedHeaders(head) as HeaderList).concat(headers);
    if (body === null) this.replyNoBody(status, all, reportedLength);
    else this.reply(status, all, Buffer.from(body)); // borrowed: copied before a hook may wait
  }

  override streamStart(status: number, headers: HeaderList, totalSize: number): void {
    if (this.plan.jsonLimit > 0 && this.heldJson(headers, Math.max(totalSize, 0))) {
      this.held = { status, headers, total: totalSize, chunks: [], size: 0 };
      return;
    }
    this.startStreamed(status, headers, totalSize, []);
  }

  private startStreamed(status: number, headers: HeaderList, totalSize: number, queued: Buffer[]): void {
    this.queue = queued;
    this.run(status, headers, undefined, (res) => {
      this.real.streamStart(res.status, this.headersOf(res, headers), totalSize);
      const queue = this.queue!;
      this.queue = null;
      for (const chunk of queue) this.real.streamWrite(chunk);
      if (this.ended) this.real.streamEnd();
      else if (this.owesDrain && this.drainCb !== null) {
        this.owesDrain = false;
        this.drainCb();
      }
    });
  }

  override streamWrite(chunk: Buffer): boolean {
    if (this.dead) return true;
    const held = this.held;
    if (held !== null) {
      held.size += chunk.length;
      held.chunks.push(Buffer.from(chunk)); // borrowed: the upstream client reuses its memory
      if (held.size > this.plan.jsonLimit) {
        this.held = null;
        this.plan.log.warn({ requestId: this.requestId, route: this.routeId, limit: this.plan.jsonLimit }, 'answer too large to hold for the plugins: passed through unchanged');
        this.startStreamed(held.status, held.headers, held.total, held.chunks);
        if (this.queue === null) return true;
        this.owesDrain = true;
        return false;
      }
      return true;
    }
    if (this.queue !== null) {
      this.queue.push(Buffer.from(chunk));
      this.owesDrain = true;
      return false;
    }
    return this.real.streamWrite(chunk);
  }

  /** Kept as well as passed on: while the hooks run, the real exchange has nothing to drain. */
  override onDrain(cb: () => void): void {
    this.drainCb = cb;
    this.real.onDrain(cb);
  }

  override streamEnd(): void {
    if (this.dead) return;
    const held = this.held;
    if (held !== null) {
      this.held = null;
      this.reply(held.status, held.headers, Buffer.concat(held.chunks, held.size));
      return;
    }
    if (this.queue !== null) this.ended = true;
    else if (!this.real.finished) this.real.streamEnd();
  }
}
