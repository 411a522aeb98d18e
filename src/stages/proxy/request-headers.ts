import type { HeaderOps } from '../../config/types.js';
import { connectionListed, isHopByHop } from '../../http/hop-by-hop.js';
import type { AddressMatcher } from '../../http/cidr.js';
import type { RequestContext } from '../../pipeline/context.js';

// Headers the gateway writes itself on the way up, so a client's copy is never forwarded as is.
const OWN = new Set([
  'host', 'expect', 'content-length', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host',
  'x-request-id', 'traceparent',
]);

export interface RequestHeaderPlan {
  drop: ReadonlySet<string>;
  set: readonly string[];
  trusted: AddressMatcher;
  scheme: string;
}

export function planRequestHeaders(ops: HeaderOps, trusted: AddressMatcher, scheme: string): RequestHeaderPlan {
  const drop = new Set<string>(ops.remove);
  const set: string[] = [];
  for (const [name, value] of Object.entries(ops.set)) {
    drop.add(name);
    set.push(name, value);
  }
  return { drop, set, trusted, scheme };
}

/** The flat header list sent upstream for one request (the client adds host and framing). */
export function upstreamHeaders(ctx: RequestContext, plan: RequestHeaderPlan): string[] {
  const h = ctx.headers;
  const out: string[] = [];
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
    out.push(name, value);
  }
  out.push(
    'x-forwarded-for', xff === '' ? ctx.remoteAddress : xff + ', ' + ctx.remoteAddress,
    'x-forwarded-proto', proto === '' ? plan.scheme : proto,
    'x-forwarded-host', fwdHost === '' ? ctx.rawHost : fwdHost,
    'x-request-id', ctx.requestId,
    'traceparent', ctx.traceparent,
  );
  for (let i = 0; i < plan.set.length; i++) out.push(plan.set[i]!);
  return out;
}
