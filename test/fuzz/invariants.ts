// The invariants one case must hold, checked from what three parties saw: the strict oracle
// (what the input means), the client (what the gateway answered) and the upstream (what the
// gateway forwarded, parsed strictly from the raw bytes).
//
// 1. Every request the upstream received whole was answered to the client from the upstream.
// 2. Every request the upstream received is one the oracle accepted from this input: same method,
//    same target (the path normalised as the gateway does, the query as sent), every client header
//    with the identical value except hop-by-hop ones and those the gateway writes itself, and the
//    exact body bytes; an upload the gateway gave up on carries a prefix of that body. With
//    limits.chunkedRequests off, no request with Transfer-Encoding is forwarded at all.
// 3. The upstream's strict parser never rejects what the gateway wrote (checked by the harness,
//    which owns the connections).
import { normalizePath } from '../../dist/routing/normalize-path.js';
import type { OracleResult, ParsedRequest } from './node-oracle.js';
import type { UpstreamRequest } from './capture-upstream.js';
import type { ClientResult } from './gateway-client.js';
import { HIDDEN_PREFIX, uwsTrimmed } from './uws-view.js';

export interface Violation {
  invariant: 'answered-from-upstream' | 'forwarded-as-accepted' | 'upstream-parse' | 'gateway-alive';
  detail: string;
}

/** Headers the gateway writes itself on the way up: a client's copy is never forwarded as sent. */
const GATEWAY_OWN = new Set([
  'host', 'expect', 'content-length', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-request-id', 'traceparent',
]);
/** Written exactly once by the gateway on every forwarded request. */
const WRITTEN_ONCE = ['host', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-request-id', 'traceparent'];
// RFC 9110 §7.6.1, and the claims only a trusted proxy may make (the fuzz config trusts nobody).
const HOP_BY_HOP = new Set(['connection', 'proxy-connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade']);
const FROM_TRUSTED_ONLY = new Set(['forwarded', 'x-real-ip', 'x-forwarded-port']);

/** The client's header lines the upstream must get, in order, as [lowercase name, value]. */
export function expectedForwardedHeaders(raw: readonly string[]): string[][] {
  const listed = new Set<string>();
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.toLowerCase() !== 'connection') continue;
    // The gateway reads the options from the value uWS hands over (trimmed, see uws-view.ts).
    for (const part of uwsTrimmed(raw[i + 1]!).split(',')) {
      const name = part.trim().toLowerCase();
      if (name !== '' && name !== 'close' && name !== 'keep-alive') listed.add(name);
    }
  }
  const out: string[][] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (GATEWAY_OWN.has(name) || HOP_BY_HOP.has(name) || FROM_TRUSTED_ONLY.has(name) || listed.has(name)) continue;
    if (name.startsWith(HIDDEN_PREFIX)) continue;
    out.push([name, uwsTrimmed(raw[i + 1]!)]);
  }
  return out;
}

function forwardedClientHeaders(raw: readonly string[]): { headers: string[][]; ownCounts: Map<string, number> } {
  const headers: string[][] = [];
  const ownCounts = new Map<string, number>();
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (GATEWAY_OWN.has(name) || name === 'transfer-encoding') ownCounts.set(name, (ownCounts.get(name) ?? 0) + 1);
    else headers.push([name, raw[i + 1]!]);
  }
  return { headers, ownCounts };
}

/** The target the gateway forwards for a target the client sent (bytes as latin1). */
export function expectedTarget(url: string): string | null {
  const q = url.indexOf('?');
  const pathBytes = q < 0 ? url : url.slice(0, q);
  // uWS hands the path over decoded as UTF-8 (invalid bytes become U+FFFD, which is refused).
  const path = normalizePath(Buffer.from(pathBytes, 'latin1').toString('utf8'));
  if (path === null) return null;
  return q < 0 ? path : path + url.slice(q);
}

const hasTransferEncoding = (r: ParsedRequest): boolean => r.rawHeaders.some((v, i) => i % 2 === 0 && v.toLowerCase() === 'transfer-encoding');

/** Why `forwarded` is not `accepted` as the gateway may forward it; null when it is. */
export function mismatch(forwarded: UpstreamRequest, accepted: ParsedRequest): string | null {
  if (forwarded.method !== accepted.method) return `method ${forwarded.method} for ${accepted.method}`;
  const target = expectedTarget(accepted.url);
  if (forwarded.url !== target) return `target ${JSON.stringify(forwarded.url)} for ${JSON.stringify(accepted.url)} (expected ${JSON.stringify(target)})`;
  if (hasTransferEncoding(accepted)) return 'a request with Transfer-Encoding was forwarded (limits.chunkedRequests is off)';
  if (forwarded.complete) {
    if (!accepted.complete) return 'forwarded whole, but the strict parser never saw the whole body';
    if (!forwarded.body.equals(accepted.body)) return `body ${JSON.stringify(forwarded.body.toString('latin1'))} for ${JSON.stringify(accepted.body.toString('latin1'))}`;
  } else if (forwarded.body.length > accepted.body.length || !accepted.body.subarray(0, forwarded.body.length).equals(forwarded.body)) {
    return `cut-short body ${JSON.stringify(forwarded.body.toString('latin1'))} is not a prefix of ${JSON.stringify(accepted.body.toString('latin1'))}`;
  }
  const { headers, ownCounts } = forwardedClientHeaders(forwarded.rawHeaders);
  const expected = expectedForwardedHeaders(accepted.rawHeaders);
  if (JSON.stringify(headers) !== JSON.stringify(expected)) {
    return `client headers ${JSON.stringify(headers)} for ${JSON.stringify(expected)}`;
  }
  for (const name of WRITTEN_ONCE) {
    if (ownCounts.get(name) !== 1) return `the gateway's ${name} header appears ${ownCounts.get(name) ?? 0} times`;
  }
  if ((ownCounts.get('content-length') ?? 0) > 1 || ownCounts.has('transfer-encoding')) return 'framing headers other than one Content-Length upstream';
  return null;
}

export interface CaseEvidence {
  oracle: OracleResult;
  /** The strict parser's reading of the input as uWS frames it (uws-view.ts), when that differs. */
  uwsView: OracleResult | null;
  client: ClientResult;
  forwarded: readonly UpstreamRequest[];
}

const describe = (u: UpstreamRequest): string =>
  `#${u.serial} ${u.method} ${JSON.stringify(u.url)}${u.complete ? '' : ' (cut short)'} headers ${JSON.stringify(u.rawHeaders)} body ${JSON.stringify(u.body.toString('latin1'))}`;

export function checkCase(e: CaseEvidence): Violation[] {
  const out: Violation[] = [];
  const answered = new Set(e.client.fromUpstream);
  for (const u of e.forwarded) {
    if (u.complete && !answered.has(u.serial)) {
      out.push({
        invariant: 'answered-from-upstream',
        detail: `the upstream received ${describe(u)} but the client got no answer from it (client saw ${JSON.stringify(e.client.statuses)}, closed: ${e.client.closed})`,
      });
    }
  }
  const readings = e.uwsView === null ? [e.oracle.requests] : [e.oracle.requests, e.uwsView.requests];
  const used = readings.map(() => new Set<ParsedRequest>());
  for (const u of e.forwarded) {
    const reasons: string[] = [];
    let matched = false;
    for (let r = 0; r < readings.length && !matched; r++) {
      for (const accepted of readings[r]!) {
        if (used[r]!.has(accepted)) continue;
        const why = mismatch(u, accepted);
        if (why === null) {
          used[r]!.add(accepted);
          matched = true;
          break;
        }
        reasons.push(why);
      }
    }
    if (!matched) {
      out.push({
        invariant: 'forwarded-as-accepted',
        detail: `forwarded ${describe(u)}, which matches no request the strict parser accepted from this input`
          + ` (${e.oracle.requests.length} accepted${e.oracle.error === null ? '' : `, then ${e.oracle.error}`}${e.uwsView === null ? '' : `; ${e.uwsView.requests.length} in uWS's reading`})`
          + (reasons.length > 0 ? `: ${reasons.join('; ')}` : ''),
      });
    }
  }
  return out;
}
