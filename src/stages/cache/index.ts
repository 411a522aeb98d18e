import type { RequestContext } from '../../pipeline/context.js';
import type { Handler, StageFactory } from '../../pipeline/types.js';
import { guarded } from '../../pipeline/guard.js';
import { keyFits, keyHash, primaryKey, resourceKey, resourcePrefix, variantKey } from '../../cache/cache-key.js';
import {
  entryFingerprint, entryFlags, entryFreshUntil, entryPolicy, entrySwrUntil, entryVary, FLAG_AUTH_OK, isEntry,
  KIND_ANSWER, KIND_VARY,
} from '../../cache/entry-format.js';
import { policyRequest, revalidationHeaders } from '../../cache/freshness.js';
import { LEAD, WAIT } from './claims.js';
import { DetachedExchange } from './detached-exchange.js';
import { FillExchange } from './fill-exchange.js';
import { compileCachePlan, type CachePlan } from './plan.js';
import { CACHE_NAME, hitStatus, NO_CONDITIONAL, serveCopy, serveEntry, ttlOf, type ClientConditional } from './serve.js';
import { servedCopy } from './served-copy.js';
import type { CacheResults } from './metrics.js';

/**
 * Route `cache`: GET answers kept in the process's LMDB environment, shared by every worker.
 * Sits after authentication and rate limits (a hit is still authenticated and counted) and
 * right before the upstream stage, whose answer it records (fill-exchange.ts). A route without
 * `cache` does not have this stage at all.
 *
 * A request, in order: the key (SPEC §3: path, sorted query, host, and the Vary'd header values,
 * found through a marker stored under the primary key); a fresh entry answers at once (HIT);
 * one within its stale-while-revalidate window answers (STALE) and one background request
 * refreshes it; otherwise the first request to miss a key fetches it (MISS; conditional with the
 * stale entry's validators when it has them) while concurrent misses of the same key, on any
 * worker, wait for that answer (claims.ts).
 */
export const cacheStage: StageFactory = (route, deps, next) => {
  if (route.cache === null || route.upstream === null || deps.cache === null || next === null) return null;
  const plan = compileCachePlan(route, deps, deps.cache);
  return (ctx) => {
    const method = ctx.method;
    if (method === 'GET' || method === 'HEAD') lookup(ctx, plan, next);
    else {
      if (UNSAFE.has(method)) invalidate(ctx, plan);
      next(ctx);
    }
  };
};

/** RFC 9111 §4.4: a request that may change the resource invalidates what is stored for it. */
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

// What lookup() reads from the request headers, in one pass. Module-level scratch: a request is
// read synchronously, and copied into a fill's options before anything asynchronous.
let authorization = false;
let ifNoneMatch = '';
let ifModifiedSince = '';

function scanHeaders(headers: readonly string[]): void {
  authorization = false;
  ifNoneMatch = '';
  ifModifiedSince = '';
  for (let i = 0; i < headers.length; i += 2) {
    switch (headers[i]) {
      case 'authorization': authorization = true; break;
      case 'if-none-match': ifNoneMatch = ifNoneMatch === '' ? headers[i + 1]! : ifNoneMatch + ', ' + headers[i + 1]!; break;
      case 'if-modified-since': ifModifiedSince = headers[i + 1]!; break;
    }
  }
}

function conditional(): ClientConditional {
  return ifNoneMatch === '' && ifModifiedSince === '' ? NO_CONDITIONAL : { ifNoneMatch, ifModifiedSince };
}

function lookup(ctx: RequestContext, plan: CachePlan, next: Handler): void {
  const runtime = plan.runtime;
  const store = runtime.store;
  runtime.sync();
  scanHeaders(ctx.headers);
  const head = ctx.method === 'HEAD';
  const now = Date.now();
  // Through the worker's copies of what it serves (runtime.hot): LMDB's bytes or a copy, either
  // valid until the next read here.
  const hot = runtime.hot;
  const primary = plan.keys.get(ctx.path, ctx.query, ctx.host);
  let key = primary;
  let buf = keyFits(primary) ? hot.get(primary, now) : undefined;
  if (buf !== undefined && isEntry(buf, KIND_VARY)) {
    key = variantKey(primary, entryVary(buf), ctx.headers);
    buf = keyFits(key) ? hot.get(key, now) : undefined;
  }
  if (!keyFits(key)) {
    pass(ctx, plan, next, primary, key, 'key-too-long');
    return;
  }
  // A fresh hit from this worker's copy: the checks below, on fields read once per copy.
  const copy = hot.lastCopy === null ? null : servedCopy(hot.lastCopy);
  if (copy !== null && copy.fingerprint === plan.fingerprint && now < copy.freshUntil && (!authorization || copy.authorizationOk)) {
    serveCopy(ctx.exchange, copy, now, head, conditional(), runtime.words, plan.results);
    return;
  }
  let stale = false;
  if (buf !== undefined && isEntry(buf, KIND_ANSWER) && entryFingerprint(buf) === plan.fingerprint) {
    // RFC 9111 §3.5: a shared cache answers a request with Authorization only from an answer that
    // allowed it (public, s-maxage, must-revalidate).
    if (authorization && (entryFlags(buf) & FLAG_AUTH_OK) === 0) {
      pass(ctx, plan, next, primary, key, 'authorization');
      return;
    }
    if (now < entryFreshUntil(buf)) {
      serveEntry(ctx.exchange, buf, now, head, conditional(), 'HIT', hitStatus(buf, now), runtime.words, plan.results);
      return;
    }
    if (now < entrySwrUntil(buf)) {
      // The background request's context is made first, while the client's request is open
      // (RequestContext.detachedCopy); the claim touches no LMDB read, so `buf` stays valid.
      const background = backgroundRefresh(ctx, plan, key, now);
      serveEntry(ctx.exchange, buf, now, head, conditional(), 'STALE',
        `${CACHE_NAME}; hit; ttl=${ttlOf(buf, now)}; detail=stale-while-revalidate`, runtime.words, plan.results);
      if (background !== null) refreshInBackground(background, plan, next, primary, key);
      return;
    }
    stale = true;
  }
  const hash = keyHash(key);
  if (head) {
    // A HEAD miss is forwarded as it is, and nothing is stored (a HEAD answer has no body); but
    // while a GET of the key is being fetched it waits for that answer like a GET would.
    const forward: FillChoice = { store: false, stale, lead: false, hash };
    if (plan.claims.held(hash)) waitForFill(ctx, plan, next, primary, key, hash, forward);
    else fill(ctx, plan, next, primary, key, forward);
    return;
  }
  const claim = plan.claims.claim(hash, now, plan.timeout + 1_000);
  if (claim === LEAD) {
    // Another worker may have stored the answer between this miss and this claim: read again
    // from a fresh snapshot before asking the upstream.
    store.refresh();
    if (serveFresh(ctx, plan, key, `${CACHE_NAME}; hit; ttl=`)) {
      plan.claims.release(hash);
      return;
    }
    fill(ctx, plan, next, primary, key, { store: true, stale, lead: true, hash });
  } else if (claim === WAIT) {
    waitForFill(ctx, plan, next, primary, key, hash, { store: true, stale, lead: false, hash });
  } else {
    fill(ctx, plan, next, primary, key, { store: true, stale, lead: false, hash });
  }
}

/** Serves `key` when it holds a fresh answer this request may have; false otherwise. */
function serveFresh(ctx: RequestContext, plan: CachePlan, key: string, statusPrefix: string): boolean {
  const buf = plan.runtime.store.peek(key);
  const now = Date.now();
  if (buf === undefined || !isEntry(buf, KIND_ANSWER) || entryFingerprint(buf) !== plan.fingerprint || now >= entryFreshUntil(buf)) return false;
  if (authorization && (entryFlags(buf) & FLAG_AUTH_OK) === 0) return false;
  serveEntry(ctx.exchange, buf, now, ctx.method === 'HEAD', conditional(), 'HIT', statusPrefix + ttlOf(buf, now), plan.runtime.words, plan.results);
  return true;
}

/**
 * Another request (on this worker or another) is fetching this key: wait until it let go of its
 * claim, then answer from what it stored; when it stored nothing, failed or took longer than the
 * route's timeout, fetch on our own as `otherwise` says (never claiming: a second round of
 * waiting could queue every waiter behind the next).
 */
function waitForFill(ctx: RequestContext, plan: CachePlan, next: Handler, primary: string, key: string, hash: number, otherwise: FillChoice): void {
  const ex = ctx.exchange;
  const saved = { authorization, ifNoneMatch, ifModifiedSince };
  const woken = (): void => {
    if (ex.finished) return; // the client went away while waiting
    authorization = saved.authorization;
    ifNoneMatch = saved.ifNoneMatch;
    ifModifiedSince = saved.ifModifiedSince;
    plan.runtime.store.refresh();
    if (serveFresh(ctx, plan, key, `${CACHE_NAME}; fwd=miss; collapsed; ttl=`)) return;
    fill(ctx, plan, next, primary, key, otherwise);
  };
  const waited = plan.claims.wait(hash, plan.timeout);
  if (typeof waited === 'boolean') woken();
  else void waited.then(guarded(ex, 'cache wait', woken));
}

interface FillChoice {
  store: boolean;
  stale: boolean;
  /** This request holds the claim on `hash` and lets it go when its fetch is over. */
  lead: boolean;
  hash: number;
}

/** Sends the request upstream through a recording exchange (fill-exchange.ts). */
function fill(
  ctx: RequestContext, plan: CachePlan, next: Handler, primary: string, key: string, choice: FillChoice, results: CacheResults | null = plan.results,
): void {
  const store = plan.runtime.store;
  const client = conditional();
  // The client's conditionals and ranges are the cache's to answer (from the stored answer), not
  // the upstream's: a 304 or 206 could not be stored. A stale entry's own validators go instead.
  // What is not stored (a HEAD) goes as the client sent it.
  const headers = choice.store ? forwardHeaders(ctx.headers) : ctx.headers;
  const req = policyRequest(ctx.path + (ctx.hasQuery ? '?' + ctx.query : ''), ctx.host, headers);
  let validators: string[] = [];
  if (choice.stale && choice.store) {
    const old = store.peek(key);
    if (old !== undefined && isEntry(old, KIND_ANSWER)) validators = revalidationHeaders(entryPolicy(old), req);
  }
  ctx.headers = validators.length === 0 ? headers : headers.concat(validators);
  const { lead, hash } = choice;
  ctx.exchange = new FillExchange(ctx.exchange, ctx, plan, {
    key, primary,
    store: choice.store,
    passLabel: 'MISS',
    results,
    bypassDetail: '',
    stale: choice.stale,
    revalidating: validators.length > 0,
    staleIfError: true,
    conditional: client,
    policyRequest: req,
    settled: lead ? () => plan.claims.release(hash) : noop,
  });
  next(ctx);
}

/** Forwards a request the cache does not serve (X-Cache: BYPASS), storing nothing. */
function pass(ctx: RequestContext, plan: CachePlan, next: Handler, primary: string, key: string, detail: string): void {
  ctx.exchange = new FillExchange(ctx.exchange, ctx, plan, {
    key, primary, store: false, passLabel: 'BYPASS', results: plan.results, bypassDetail: detail, stale: false, revalidating: false,
    staleIfError: false, conditional: NO_CONDITIONAL,
    policyRequest: policyRequest(ctx.path, ctx.host, ctx.headers), settled: noop,
  });
  next(ctx);
}

/**
 * Stale-while-revalidate: one request (per key, across workers: the claim) refreshes the entry in
 * the background, with the entry's validators. Claims the key and gives the background request's
 * context, or null when another request holds the claim.
 */
function backgroundRefresh(ctx: RequestContext, plan: CachePlan, key: string, now: number): RequestContext | null {
  if (plan.claims.claim(keyHash(key), now, plan.timeout + 1_000) !== LEAD) return null;
  const detached = new DetachedExchange(plan.log, { route: ctx.route.id, requestId: ctx.requestId });
  // Its own context: the client's request is finished by the time the refresh runs, and its objects belong to it.
  return ctx.detachedCopy(detached);
}

/** Runs the refresh `backgroundRefresh` claimed, once the client was answered from the stale entry. */
function refreshInBackground(background: RequestContext, plan: CachePlan, next: Handler, primary: string, key: string): void {
  const hash = keyHash(key);
  try {
    fill(background, plan, next, primary, key, { store: true, stale: true, lead: true, hash }, null);
  } catch (err) {
    plan.claims.release(hash);
    background.exchange.fail(err, 'cache background refresh');
  }
}

/**
 * Removes what is stored for this resource and host, when there is anything (one read first).
 * Single removals, not a transaction: lmdb-js runs transaction callbacks after the single writes
 * queued with them, so a refill stored right after could land before the removal and be lost.
 */
function invalidate(ctx: RequestContext, plan: CachePlan): void {
  const store = plan.runtime.store;
  const primary = primaryKey(resourceKey(ctx.path, ctx.query), ctx.host);
  if (!keyFits(primary) || store.peek(primary) === undefined) return;
  store.removeKeys(store.keysWithPrefix(resourcePrefix(resourceKey(ctx.path, ctx.query), ctx.host)))
    .catch((err: unknown) => plan.log.warn({ err, route: ctx.route.id }, 'cache: invalidating an entry failed'));
}

/** Request headers that only the cache may act on when it fetches an answer to store. */
const CONDITIONAL = new Set(['if-none-match', 'if-modified-since', 'if-match', 'if-unmodified-since', 'if-range', 'range']);

function forwardHeaders(headers: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    if (!CONDITIONAL.has(headers[i]!)) out.push(headers[i]!, headers[i + 1]!);
  }
  return out;
}

const noop = (): void => {};
