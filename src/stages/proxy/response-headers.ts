import type { HeaderOps } from '../../config/types.js';
import { connectionListed, isHopByHop, listsNames } from '../../http/hop-by-hop.js';

// uWS writes Content-Length (or chunked framing), Date and the request id itself.
const FRAMING = new Set(['content-length', 'date', 'x-request-id']);

export interface ResponseHeaderPlan {
  drop: ReadonlySet<string>;
  set: readonly string[];
}

export function planResponseHeaders(ops: HeaderOps): ResponseHeaderPlan {
  const drop = new Set<string>(ops.remove);
  const set: string[] = [];
  for (const [name, value] of Object.entries(ops.set)) {
    drop.add(name);
    set.push(name, value);
  }
  return { drop, set };
}

/**
 * Filters the upstream's header list (lowercased names) into the flat list sent to the client,
 * in place: the list is the parser's, made for this answer and read by nobody after this (one
 * array less per request).
 */
export function clientHeaders(raw: (string | Buffer)[], plan: ResponseHeaderPlan): (string | Buffer)[] {
  let listed: Set<string> | null = null;
  let kept = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1]!;
    if (name === 'connection') {
      const text = String(value);
      if (listsNames(text)) connectionListed(text, (listed ??= new Set()));
      continue;
    }
    if (FRAMING.has(name) || isHopByHop(name) || plan.drop.has(name)) continue;
    raw[kept++] = name;
    raw[kept++] = value;
  }
  raw.length = kept;
  if (listed !== null) {
    for (let i = raw.length - 2; i >= 0; i -= 2) if (listed.has(raw[i] as string)) raw.splice(i, 2);
  }
  for (let i = 0; i < plan.set.length; i++) raw.push(plan.set[i]!);
  return raw;
}
