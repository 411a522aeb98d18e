// What an answer may be cached for, from RFC 9111 as http-cache-semantics reads it (a shared
// cache), and the conditional headers that revalidate a stale one. The only module that names
// http-cache-semantics and msgpackr; its results are plain numbers stored in the entry, so the
// hit path never builds a policy object.
import CachePolicy from 'http-cache-semantics';
import { pack, unpack } from 'msgpackr';
import type { HeaderList } from '../pipeline/exchange.js';
import { FLAG_AUTH_OK } from './entry-format.js';

/** The route's `cache` settings, in milliseconds. */
export interface RouteFreshness {
  ttl: number;
  staleWhileRevalidate: number;
  staleIfError: number;
}

/** The request as http-cache-semantics sees it: the GET that the answer is stored for. */
export interface PolicyRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
}

export type Assessment =
  | { store: false; why: string }
  | {
    store: true;
    flags: number;
    storedAt: number;
    freshUntil: number;
    swrUntil: number;
    sieUntil: number;
    /** Epoch ms after which the entry serves nothing (the evictor removes it first). */
    keepUntil: number;
    initialAge: number;
    etag: string;
    lastModified: string;
    /** Lowercase names of the request headers the answer varies on, comma-separated; '' for none. */
    vary: string;
    policy: Uint8Array;
  };

/** An answer that may be stored, with what its entry holds. */
export type Storable = Extract<Assessment, { store: true }>;

const OPTIONS: CachePolicy.Options = {
  shared: true,
  // No heuristic freshness (Last-Modified): an answer without Cache-Control or Expires lives for
  // the route's ttl, or is not stored.
  cacheHeuristic: 0,
};

/**
 * An entry that holds validators stays this long past its last use for anything else: a stale
 * answer is revalidated with a conditional request (a 304 costs the upstream no body).
 */
const REVALIDATE_KEEP_MS = 24 * 60 * 60 * 1000;

/** The request headers as http-cache-semantics reads them (one value per name). */
export function policyRequest(path: string, host: string, headers: readonly string[]): PolicyRequest {
  const out: Record<string, string> = {};
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    const prior = out[name];
    out[name] = prior === undefined ? headers[i + 1]! : prior + ', ' + headers[i + 1]!;
  }
  out['host'] = host;
  return { method: 'GET', url: path, headers: out };
}

/** Decides whether and for how long an answer is kept, at `now` (epoch ms). */
export function assessAnswer(req: PolicyRequest, status: number, headers: HeaderList, route: RouteFreshness, now: number): Assessment {
  const res = responseHeaders(headers);
  // A shared cache that replays one client's cookie to another is the classic cache leak: such
  // answers are never stored, whatever their Cache-Control says.
  if (res['set-cookie'] !== undefined) return { store: false, why: 'set-cookie' };
  const silent = res['cache-control'] === undefined && res['expires'] === undefined;
  if (silent) {
    if (route.ttl <= 0) return { store: false, why: 'no-freshness' };
    res['cache-control'] = `max-age=${Math.ceil(route.ttl / 1000)}`;
  }
  const policy = new CachePolicy(req, { status, headers: res }, OPTIONS);
  if (!policy.storable()) return { store: false, why: 'not-storable' };
  const vary = varyNames(res['vary']);
  if (vary === '*') return { store: false, why: 'vary-star' };
  const cc = policy.toObject().rescc;
  const etag = res['etag'] ?? '';
  const lastModified = res['last-modified'] ?? '';
  const validators = etag !== '' || lastModified !== '';
  // The upstream's Age (whole seconds); policy.age() adds the microseconds since the policy was
  // built, which would only make the numbers drift with the machine's load.
  const initialAge = Math.floor(policy.age());
  const freshMs = Math.max(0, (policy.maxAge() - initialAge) * 1000);
  if (freshMs <= 0 && !validators) return { store: false, why: 'no-freshness' };
  // must-revalidate, proxy-revalidate and no-cache forbid serving stale without asking: the
  // route's windows do not apply then, only the upstream's own stale-* directives.
  const revalidateOnly = cc['must-revalidate'] !== undefined || cc['proxy-revalidate'] !== undefined || cc['no-cache'] !== undefined;
  const swr = windowMs(cc['stale-while-revalidate'], revalidateOnly ? 0 : route.staleWhileRevalidate);
  const sie = windowMs(cc['stale-if-error'], revalidateOnly ? 0 : route.staleIfError);
  const freshUntil = now + freshMs;
  const authOk = cc['public'] !== undefined || cc['s-maxage'] !== undefined || cc['must-revalidate'] !== undefined;
  return {
    store: true,
    flags: authOk ? FLAG_AUTH_OK : 0,
    storedAt: now,
    freshUntil,
    swrUntil: freshUntil + swr,
    sieUntil: freshUntil + sie,
    keepUntil: freshUntil + Math.max(swr, sie, validators ? REVALIDATE_KEEP_MS : 0),
    initialAge,
    etag,
    lastModified,
    vary,
    policy: pack(policy.toObject()),
  };
}

/**
 * The conditional headers (If-None-Match, If-Modified-Since) that revalidate a stored answer for
 * this request, as a flat list; empty when it holds no validator.
 */
export function revalidationHeaders(policy: Uint8Array, req: PolicyRequest): string[] {
  const stored = CachePolicy.fromObject(unpack(policy) as CachePolicy.CachePolicyObject);
  const headers = stored.revalidationHeaders(req);
  const out: string[] = [];
  for (const name of ['if-none-match', 'if-modified-since']) {
    const value = headers[name];
    if (typeof value === 'string' && value !== '') out.push(name, value);
  }
  return out;
}

/** Whether a 304 validates the stored answer (RFC 9111 §4.3.4): false means its body cannot be reused. */
export function notModifiedMatches(policy: Uint8Array, req: PolicyRequest, headers: HeaderList): boolean {
  const stored = CachePolicy.fromObject(unpack(policy) as CachePolicy.CachePolicyObject);
  return stored.revalidatedPolicy(req, { status: 304, headers: responseHeaders(headers) }).matches;
}

function windowMs(directive: string | undefined, routeDefault: number): number {
  if (directive === undefined) return routeDefault;
  const seconds = Number(directive);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 0;
}

function varyNames(value: string | undefined): string {
  if (value === undefined) return '';
  const names = value.split(',').map((n) => n.trim().toLowerCase()).filter((n) => n !== '');
  if (names.includes('*')) return '*';
  return [...new Set(names)].sort().join(',');
}

function responseHeaders(headers: HeaderList): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i] as string;
    const raw = headers[i + 1]!;
    const value = typeof raw === 'string' ? raw : raw.toString('latin1');
    const prior = out[name];
    out[name] = prior === undefined ? value : prior + ', ' + value;
  }
  return out;
}
