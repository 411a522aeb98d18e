import type { RequestContext } from '../../pipeline/context.js';
import type { Exchange, HeaderList } from '../../pipeline/exchange.js';
import { ForwardingExchange } from '../../pipeline/forwarding-exchange.js';
import { failureDetail, isUpstreamFailure } from '../../pipeline/upstream-failure.js';
import { keyHash, variantKey } from '../../cache/cache-key.js';
import { assessAnswer, notModifiedMatches, type PolicyRequest, type Storable } from '../../cache/freshness.js';
import {
  encodeEntry, entryBody, entryFingerprint, entryFlags, entryHead, entryPolicy, entrySieUntil, entryStatus,
  FLAG_AUTH_OK, isEntry, KIND_ANSWER, KIND_VARY,
} from '../../cache/entry-format.js';
import { parseHead, renderHead } from '../../cache/render-head.js';
import { CACHE_NAME, serveEntry, ttlOf, type ClientConditional } from './serve.js';
import type { CachePlan } from './plan.js';
import type { CacheResults } from './metrics.js';

/** What the recording exchange does with the answer on its way. */
export interface FillOptions {
  /** The key looked up (a variant key when the resource varies), and the resource's primary key. */
  key: string;
  primary: string;
  /** Store a storable answer (GET), or only label it (HEAD, bypass). */
  store: boolean;
  /** X-Cache of an answer passed through: MISS, or BYPASS (with its Cache-Status detail). */
  passLabel: 'MISS' | 'BYPASS';
  /** Where the answer is counted (null: a background refresh, which answers no client). */
  results: CacheResults | null;
  bypassDetail: string;
  /** The fetch replaces a stale entry (Cache-Status fwd=stale) and sent its validators. */
  stale: boolean;
  revalidating: boolean;
  /** Serve the stale entry when the upstream fails (never for a bypassed request). */
  staleIfError: boolean;
  conditional: ClientConditional;
  policyRequest: PolicyRequest;
  /** Called once the fetch is over, however it ended (after the answer committed, when stored). */
  settled: () => void;
}

type Mode =
  /** Nothing decided yet (no answer came). */
  | 'idle'
  /** Streamed to the client and copied into `body` (known length, small enough). */
  | 'tee'
  /** Held whole until it ends or outgrows maxEntrySize (no Content-Length). */
  | 'hold'
  /** Streamed to the client only. */
  | 'pass'
  /** The stale entry answered instead; the upstream's answer is dropped. */
  | 'dropped';

/**
 * The cache stage's exchange on a fetch from the upstream: passes the answer on to the client
 * with X-Cache and Cache-Status, and stores it when RFC 9111 allows (cache/freshness.ts). When the
 * upstream fails it answers with the stale entry (stale-if-error) where one may be served, else
 * lets the failure through (to the route's fallback, outside this stage). A 304 to a
 * revalidation refreshes the stored entry and answers from it.
 */
export class FillExchange extends ForwardingExchange {
  private mode: Mode = 'idle';
  private settledOnce = false;
  private readonly epoch: number;
  private status_ = 0;
  private headers: HeaderList = [];
  private assessment: Storable | null = null;
  private body: Buffer | null = null;
  private bodyLength = 0;
  private heldChunks: Buffer[] = [];

  constructor(inner: Exchange, private readonly ctx: RequestContext, private readonly plan: CachePlan, private readonly opts: FillOptions) {
    super(inner);
    this.epoch = plan.runtime.epoch();
  }

  override get finished(): boolean {
    return this.mode === 'dropped' || this.real.finished;
  }

  override onAbort(cb: () => void): void {
    this.real.onAbort(() => {
      this.settle();
      cb();
    });
  }

  override reply(status: number, headers: HeaderList, body: string | Buffer, closeConnection?: boolean): void {
    if (this.mode === 'dropped') return;
    if (isUpstreamFailure(status) && this.serveStaleIfError(status)) return;
    const a = this.assess(status, headers);
    if (a !== null) {
      const bytes = typeof body === 'string' ? Buffer.from(body) : body;
      if (bytes.length <= this.plan.runtime.maxEntrySize) {
        this.real.reply(status, this.labelled(headers, status, true), body, closeConnection);
        this.storeAnswer(status, headers, a, bytes);
        return;
      }
    }
    // Storable but too large, or not storable.
    this.real.reply(status, a !== null ? this.bypassed(headers, 'too-large') : this.labelled(headers, status, false), body, closeConnection);
    this.settle();
  }

  override replyNoBody(status: number, headers: HeaderList, reportedLength: number): void {
    if (this.mode === 'dropped') return;
    if (isUpstreamFailure(status) && this.serveStaleIfError(status)) return;
    if (status === 304 && this.opts.revalidating) {
      this.revalidated(headers);
      return;
    }
    this.real.replyNoBody(status, this.labelled(headers, status, false), reportedLength);
    this.settle();
  }

  override streamStart(status: number, headers: HeaderList, totalSize: number): void {
    if (isUpstreamFailure(status) && this.serveStaleIfError(status)) return;
    const a = this.assess(status, headers);
    const max = this.plan.runtime.maxEntrySize;
    this.status_ = status;
    this.headers = headers;
    this.assessment = a;
    if (a !== null && totalSize >= 0 && totalSize <= max) {
      this.mode = 'tee';
      this.body = Buffer.allocUnsafe(totalSize);
      this.real.streamStart(status, this.labelled(headers, status, true), totalSize);
    } else if (a !== null && totalSize < 0) {
      this.mode = 'hold';
    } else {
      this.mode = 'pass';
      this.real.streamStart(status, a !== null ? this.bypassed(headers, 'too-large') : this.labelled(headers, status, false), totalSize);
    }
  }

  override streamWrite(chunk: Buffer): boolean {
    switch (this.mode) {
      case 'dropped': return true;
      case 'tee': {
        const body = this.body!;
        if (this.bodyLength < body.length) chunk.copy(body, this.bodyLength, 0, Math.min(chunk.length, body.length - this.bodyLength));
        this.bodyLength += chunk.length;
        return this.real.streamWrite(chunk);
      }
      case 'hold': return this.hold(chunk);
      default: return this.real.streamWrite(chunk);
    }
  }

  override streamEnd(): void {
    const mode = this.mode;
    if (mode === 'dropped') return;
    if (mode === 'hold') {
      // The whole answer, within maxEntrySize: it goes out with a Content-Length, in one write.
      const body = Buffer.concat(this.heldChunks);
      this.heldChunks = [];
      this.mode = 'pass';
      this.real.reply(this.status_, this.labelled(this.headers, this.status_, true), body);
      this.storeAnswer(this.status_, this.headers, this.assessment!, body);
      return;
    }
    this.real.streamEnd();
    if (mode === 'tee' && this.bodyLength === this.body!.length && this.assessment !== null) {
      this.storeAnswer(this.status_, this.headers, this.assessment, this.body!);
    } else {
      this.settle();
    }
  }

  override abort(): void {
    this.real.abort();
    this.settle();
  }

  override fail(err: unknown, where: string): void {
    this.real.fail(err, where);
    this.settle();
  }

  /** Holds a chunk (copied: chunks are borrowed) until the answer ends or outgrows maxEntrySize. */
  private hold(chunk: Buffer): boolean {
    this.bodyLength += chunk.length;
    if (this.bodyLength <= this.plan.runtime.maxEntrySize) {
      this.heldChunks.push(Buffer.from(chunk));
      return true;
    }
    // Too large to store: what was held goes out first, then the rest streams through.
    this.mode = 'pass';
    this.assessment = null;
    this.real.streamStart(this.status_, this.bypassed(this.headers, 'too-large'), -1);
    for (const held of this.heldChunks) this.real.streamWrite(held);
    this.heldChunks = [];
    return this.real.streamWrite(chunk);
  }

  /** The assessment when this answer may be stored, else null. */
  private assess(status: number, headers: HeaderList): Storable | null {
    if (!this.opts.store) return null;
    const a = assessAnswer(this.opts.policyRequest, status, headers, this.plan.freshness, Date.now());
    return a.store ? a : null;
  }

  private labelled(headers: HeaderList, status: number, stored: boolean): HeaderList {
    if (this.opts.passLabel === 'BYPASS') return this.bypassed(headers, this.opts.bypassDetail);
    if (this.opts.results !== null) this.opts.results.MISS.value++;
    const fwd = this.opts.stale ? 'stale' : 'miss';
    // fwd-status is what the upstream answered; an answer the gateway made says why instead.
    const outcome = this.ctx.upstreamStatus === status ? `fwd-status=${status}` : `detail="${failureDetail(this.ctx, status)}"`;
    return headers.concat('x-cache', 'MISS', 'cache-status', `${CACHE_NAME}; fwd=${fwd}; ${outcome}${stored ? '; stored' : ''}`);
  }

  private bypassed(headers: HeaderList, detail: string): HeaderList {
    if (this.opts.results !== null) this.opts.results.BYPASS.value++;
    return headers.concat('x-cache', 'BYPASS', 'cache-status', `${CACHE_NAME}; fwd=bypass; detail=${detail}`);
  }

  /**
   * Answers with the stale entry when its stale-if-error window allows; false when it does not
   * (no entry, too old, not for this request), and the failure goes on to the client or fallback.
   */
  private serveStaleIfError(status: number): boolean {
    if (!this.opts.staleIfError) return false;
    const now = Date.now();
    const buf = this.plan.runtime.store.peek(this.opts.key);
    if (buf === undefined || !this.usable(buf) || now >= entrySieUntil(buf)) return false;
    this.mode = 'dropped';
    const detail = failureDetail(this.ctx, status);
    const fwdStatus = this.ctx.upstreamStatus === status ? `; fwd-status=${status}` : '';
    serveEntry(this.real, buf, now, this.ctx.method === 'HEAD', this.opts.conditional, 'STALE',
      `${CACHE_NAME}; fwd=stale${fwdStatus}; ttl=${ttlOf(buf, now)}; detail="stale-if-error: ${detail}"`, this.plan.runtime.words, this.opts.results);
    this.settle();
    return true;
  }

  /** A stored answer this request may be given: this route's, and for Authorization only when allowed. */
  private usable(buf: Uint8Array): boolean {
    if (!isEntry(buf, KIND_ANSWER) || entryFingerprint(buf) !== this.plan.fingerprint) return false;
    return !this.opts.policyRequest.headers['authorization'] || (entryFlags(buf) & FLAG_AUTH_OK) !== 0;
  }

  /**
   * The upstream answered a revalidation with 304: the stored body is still good. Its headers are
   * updated with the 304's (RFC 9111 §3.2), its freshness computed anew, and the client answered
   * from it. A 304 whose validator does not match the stored one cannot vouch for it: the entry is
   * left alone and the 304 passed on.
   */
  private revalidated(headers304: HeaderList): void {
    const store = this.plan.runtime.store;
    const now = Date.now();
    const old = store.peek(this.opts.key);
    if (old === undefined || !this.usable(old) || !notModifiedMatches(entryPolicy(old), this.opts.policyRequest, headers304)) {
      this.real.replyNoBody(304, this.labelled(headers304, 304, false), -1);
      this.settle();
      return;
    }
    const status = entryStatus(old);
    const merged = mergeHeaders(parseHead(entryHead(old)), headers304);
    const a = assessAnswer(this.opts.policyRequest, status, merged, this.plan.freshness, now);
    if (!a.store) {
      // The 304 made the answer unstorable (no-store now, say): served once from the old body.
      this.real.reply(status, this.labelled(merged, 304, false), Buffer.from(entryBody(old)));
      this.settle();
      return;
    }
    const entry = this.encode(status, merged, a, entryBody(old));
    serveEntry(this.real, entry, now, this.ctx.method === 'HEAD', this.opts.conditional, 'HIT',
      `${CACHE_NAME}; fwd=stale; fwd-status=304; stored; ttl=${ttlOf(entry, now)}`, this.plan.runtime.words, this.opts.results);
    this.write(this.opts.key, entry, a);
  }

  private storeAnswer(status: number, headers: HeaderList, a: Storable, body: Uint8Array): void {
    const key = a.vary === '' ? this.opts.primary : variantKey(this.opts.primary, a.vary, this.ctx.headers);
    const entry = this.encode(status, headers, a, body, key);
    if (a.vary !== '') {
      const marker = encodeEntry({
        kind: KIND_VARY, status: 0, flags: 0, storedAt: a.storedAt, freshUntil: 0, swrUntil: 0, sieUntil: 0, initialAge: 0,
        fingerprint: this.plan.fingerprint, hash: keyHash(this.opts.primary), head: EMPTY, nameLength: 0,
        etag: '', lastModified: '', vary: a.vary, policy: EMPTY, body: EMPTY,
      });
      void this.plan.runtime.store.write(this.opts.primary, marker, {
        storedAt: a.storedAt, keepUntil: a.keepUntil, size: marker.length + this.opts.primary.length, hash: keyHash(this.opts.primary),
      }).catch((err: unknown) => this.plan.log.warn({ err, route: this.ctx.route.id }, 'cache: storing an answer failed'));
    }
    this.write(key, entry, a);
  }

  private encode(status: number, headers: HeaderList, a: Storable, body: Uint8Array, key = this.opts.key): Buffer {
    const rendered = renderHead(headers, this.plan.keepStored);
    return encodeEntry({
      kind: KIND_ANSWER, status, flags: a.flags, storedAt: a.storedAt, freshUntil: a.freshUntil, swrUntil: a.swrUntil,
      sieUntil: a.sieUntil, initialAge: a.initialAge, fingerprint: this.plan.fingerprint, hash: keyHash(key),
      head: rendered.block, nameLength: rendered.nameLength, etag: a.etag, lastModified: a.lastModified, vary: '',
      policy: a.policy, body,
    });
  }

  /** Stores the entry unless a purge ran since this fetch began; settles once it is committed. */
  private write(key: string, entry: Buffer, a: Storable): void {
    const runtime = this.plan.runtime;
    if (runtime.epoch() !== this.epoch) {
      this.settle();
      return;
    }
    runtime.store.write(key, entry, { storedAt: a.storedAt, keepUntil: a.keepUntil, size: entry.length + key.length, hash: keyHash(key) })
      .catch((err: unknown) => this.plan.log.warn({ err, route: this.ctx.route.id }, 'cache: storing an answer failed'))
      .finally(() => this.settle());
  }

  private settle(): void {
    if (this.settledOnce) return;
    this.settledOnce = true;
    this.opts.settled();
  }
}

const EMPTY = new Uint8Array(0);

/** The stored headers updated with a 304's: its fields replace the stored ones of the same name. */
function mergeHeaders(stored: HeaderList, update: HeaderList): (string | Buffer)[] {
  const replaced = new Set<string>();
  for (let i = 0; i < update.length; i += 2) {
    const name = update[i] as string;
    if (!SKIP_ON_UPDATE.has(name)) replaced.add(name);
  }
  const out: (string | Buffer)[] = [];
  for (let i = 0; i < stored.length; i += 2) if (!replaced.has(stored[i] as string)) out.push(stored[i]!, stored[i + 1]!);
  for (let i = 0; i < update.length; i += 2) if (replaced.has(update[i] as string)) out.push(update[i]!, update[i + 1]!);
  return out;
}

/** Fields a 304 does not update (as http-cache-semantics: they describe its own, empty, content), and ours. */
const SKIP_ON_UPDATE = new Set(['content-length', 'content-encoding', 'content-range', 'transfer-encoding', 'x-cache', 'age']);
