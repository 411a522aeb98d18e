import { parseMatchPath } from '../../config/path-pattern.js';
import type { RequestContext } from '../../pipeline/context.js';
import type { PluginRequest } from '../../plugin/types.js';
import { HeaderView } from './plugin-headers.js';

const METHOD = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// A normalised origin-form path: visible ASCII without '?' or '#'.
const PATH = /^\/[\x21-\x22\x24-\x3e\x40-\x7e]*$/;
const QUERY = /^[\x21-\x22\x24-\x7e]*$/;

/**
 * The request as the route's plugins see it, shared by their hooks for one request. Strings are
 * copied at once (free); headers, params and locals only when a hook reads them, so a hook that
 * looks at nothing costs this one object. The context stays in a private field (#ctx): a plugin
 * cannot reach the exchange or anything of uWS through it.
 */
export class RequestView implements PluginRequest {
  readonly #ctx: RequestContext;
  readonly #paramNames: readonly string[];
  #headers: HeaderView | null = null;
  #params: Record<string, string> | null = null;
  #locals: Record<string, unknown> | null = null;
  #body: Uint8Array | string | null = null;
  #bodyRead = false;
  #bodyChanged = false;
  method: string;
  path: string;
  query: string;

  constructor(ctx: RequestContext, paramNames: readonly string[]) {
    this.#ctx = ctx;
    this.#paramNames = paramNames;
    this.method = ctx.method;
    this.path = ctx.path;
    this.query = ctx.query;
  }

  get id(): string { return this.#ctx.requestId; }
  get route(): string { return this.#ctx.route.id; }
  get consumer(): string | null { return this.#ctx.consumer; }
  get remoteAddress(): string { return this.#ctx.remoteAddress; }

  get headers(): HeaderView {
    return (this.#headers ??= new HeaderView(this.#ctx.headers));
  }

  get params(): Readonly<Record<string, string>> {
    if (this.#params === null) {
      const out: Record<string, string> = {};
      const values = this.#ctx.params;
      this.#paramNames.forEach((name, i) => {
        if (values[i] !== undefined) out[name] = values[i]!;
      });
      this.#params = Object.freeze(out);
    }
    return this.#params;
  }

  get locals(): Record<string, unknown> {
    return (this.#locals ??= {});
  }

  get body(): Uint8Array | string | null {
    return this.#body;
  }

  set body(value: Uint8Array | string | null) {
    if (!this.#bodyRead) throw new TypeError('req.body can be replaced only on a route whose plugins read it (hooks.requestBody: true)');
    if (value !== null && typeof value !== 'string' && !(value instanceof Uint8Array)) throw new TypeError('req.body must be a string, bytes or null');
    this.#body = value;
    this.#bodyChanged = true;
  }

  log(fields: Record<string, unknown>): void {
    const ctx = this.#ctx;
    ctx.pluginFields = ctx.pluginFields === null ? { ...fields } : Object.assign(ctx.pluginFields, fields);
  }

  /** The body read for the plugins (hooks.requestBody). */
  takeBody(body: Buffer): void {
    this.#body = body;
    this.#bodyRead = true;
  }

  /** The body to send on when a hook replaced it, else null. */
  changedBody(): Buffer | null {
    if (!this.#bodyChanged) return null;
    const b = this.#body;
    return b === null ? Buffer.alloc(0) : typeof b === 'string' ? Buffer.from(b) : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  }

  /**
   * Writes the hooks' changes into the context (copies: what the plugin keeps cannot change the
   * request later). Returns what is wrong with a change, or null.
   */
  applyTo(ctx: RequestContext): string | null {
    if (this.method !== ctx.method) {
      if (typeof this.method !== 'string' || !METHOD.test(this.method)) return `invalid method ${JSON.stringify(this.method)}`;
      ctx.method = this.method;
    }
    if (this.path !== ctx.path) {
      if (typeof this.path !== 'string' || !PATH.test(this.path)) return `invalid path ${JSON.stringify(this.path)}: it must start with "/" and hold visible ASCII without "?" or "#"`;
      ctx.path = this.path;
    }
    if (this.query !== ctx.query) {
      if (typeof this.query !== 'string' || !QUERY.test(this.query)) return `invalid query ${JSON.stringify(this.query)}: visible ASCII without "#"`;
      ctx.query = this.query;
      ctx.hasQuery = this.query !== '';
    }
    const headers = this.#headers;
    if (headers !== null && headers.changed) {
      ctx.headers = headers.list.slice();
      headers.changed = false;
    }
    return null;
  }
}

/** The names of a route path's parameters, in the order the router fills ctx.params. */
export function paramNames(path: string): string[] {
  const parsed = parseMatchPath(path);
  if (!parsed.ok) return [];
  return parsed.wildcard ? [...parsed.params, '*'] : parsed.params;
}
