import type { HeaderOps } from '../../config/types.js';
import { connectionListed, isHopByHop } from '../../http/hop-by-hop.js';
import type { AddressMatcher } from '../../http/cidr.js';
import type { RequestContext } from '../../pipeline/context.js';
import { takeScratch } from '../../pipeline/scratch-list.js';

// Headers the gateway writes itself on the way up, so a client's copy is never forwarded as is.
const OWN = new Set([
  'host', 'expect', 'content-length', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host',
  'x-request-id', 'traceparent',
  // Who the caller is, as the auth stage found (ctx.consumer): never taken from a client.
  'x-consumer-id',
]);
// Claims about the client or the hop before us that only a trusted proxy may make: forwarded as
// sent from trustedProxies, removed from anyone else (a client could pose as another address).
const FROM_TRUSTED_ONLY = new Set(['forwarded', 'x-real-ip', 'x-forwarded-port']);

export interface RequestHeaderPlan {
  drop: ReadonlySet<string>;
  /** headers.request.set without the gateway's own headers: appended as they are. */
  set: readonly string[];
  /** headers.request.set values that replace what the gateway would write; null: the gateway's. */
  host: string | null;
  forwardedFor: string | null;
  forwardedProto: string | null;
  forwardedHost: string | null;
  requestId: string | null;
  traceparent: string | null;
  consumerId: string | null;
  trusted: AddressMatcher;
}

export function planRequestHeaders(ops: HeaderOps, trusted: AddressMatcher): RequestHeaderPlan {
  const drop = new Set<string>(ops.remove);
  const set: string[] = [];
  const own = new Map<string, string>();
  for (const [name, value] of Object.entries(ops.set)) {
    drop.add(name);
    // Setting a header replaces it, the gateway's own ones included: never two copies upstream.
    if (OWN.has(name)) own.set(name, value);
    else set.push(name, value);
  }
  return {
    drop, set, trusted,
    host: own.get('host') ?? null,
    forwardedFor: own.get('x-forwarded-for') ?? null,
    forwardedProto: own.get('x-forwarded-proto') ?? null,
    forwardedHost: own.get('x-forwarded-host') ?? null,
    requestId: own.get('x-request-id') ?? null,
    traceparent: own.get('traceparent') ?? null,
    consumerId: own.get('x-consumer-id') ?? null,
  };
}

/** The flat header list sent upstream for one request (the client adds host and framing). */
export function upstreamHeaders(ctx: RequestContext, plan: RequestHeaderPlan): string[] {
  const h = ctx.headers;
  const out = SCRATCH;
  let n = 0;
  const trusted = plan.trusted.has(ctx.remoteAddress);
  let listed: Set<string> | null = null;
  if (ctx.connection !== '') connectionListed(ctx.connection, (listed = new Set()));
  let xff = '';
  let proto = '';
  let fwdHost = '';
  for (let i = 0; i < h.length; i += 2) {
    const name = h[i]!;
    const value = h[i + 1]!;
    if (OWN.has(name)) {
      if (!trusted) continue;
      if (name === 'x-forwarded-for') xff = xff === '' ? value : xff + ', ' + value;
      else if (name === 'x-forwarded-proto') proto = value;
      else if (name === 'x-forwarded-host') fwdHost = value;
      continue;
    }
    if (isHopByHop(name) || plan.drop.has(name) || (listed !== null && listed.has(name))) continue;
    if (!trusted && FROM_TRUSTED_ONLY.has(name)) continue;
    out[n++] = name;
    out[n++] = value;
  }
  out[n++] = 'x-forwarded-for';
  out[n++] = plan.forwardedFor ?? (xff === '' ? ctx.remoteAddress : xff + ', ' + ctx.remoteAddress);
  out[n++] = 'x-forwarded-proto';
  out[n++] = plan.forwardedProto ?? (proto === '' ? ctx.scheme : proto);
  out[n++] = 'x-forwarded-host';
  out[n++] = plan.forwardedHost ?? (fwdHost === '' ? ctx.rawHost : fwdHost);
  out[n++] = 'x-request-id';
  out[n++] = plan.requestId ?? ctx.requestId;
  out[n++] = 'traceparent';
  out[n++] = plan.traceparent ?? ctx.traceparent;
  const consumer = plan.consumerId ?? ctx.consumer;
  if (consumer !== null) {
    out[n++] = 'x-consumer-id';
    out[n++] = consumer;
  }
  for (let i = 0; i < plan.set.length; i++) out[n++] = plan.set[i]!;
  return takeScratch(out, n);
}

/** The list upstreamHeaders gathers into (pipeline/scratch-list.ts). */
const SCRATCH: string[] = [];
