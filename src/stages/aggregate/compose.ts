// The pure part of aggregation: parse each call's body, shape it (select, rename), and put the
// results together. It runs inline or in the piscina pool (src/tasks/aggregate.ts), so its input
// and output are plain data that cross a thread boundary: bodies as bytes, errors as values.
import { compilePath, renamePaths, selectPaths, type JsonPath } from '../../json/paths.js';

/** How one call's answer is shaped and placed; plain data (it is sent to pool threads). */
export interface CallShape {
  as: string;
  select: readonly string[] | null;
  rename: Readonly<Record<string, string>> | null;
  merge: boolean;
  /** A body that is not JSON leaves this call out (partial) instead of failing the merge. */
  optional: boolean;
}

interface CompiledShape {
  as: string;
  select: readonly JsonPath[] | null;
  rename: readonly (readonly [JsonPath, JsonPath])[] | null;
  merge: boolean;
  optional: boolean;
}

/** One input: the call's body, or null when the call failed (an optional one, left out). */
export type CallBody = Uint8Array | null;

export type ComposeResult =
  /** `partial`: an optional call's body was not JSON and is left out. */
  | { ok: true; json: string; partial: boolean }
  /** `call`: index of the first required call whose body is not JSON. */
  | { ok: false; call: number };

const compiled = new WeakMap<readonly CallShape[], CompiledShape[]>();

function compile(shapes: readonly CallShape[]): CompiledShape[] {
  let out = compiled.get(shapes);
  if (out === undefined) {
    out = shapes.map((s) => ({
      as: s.as,
      merge: s.merge,
      optional: s.optional,
      select: s.select === null ? null : s.select.map(compilePath),
      rename: s.rename === null ? null : Object.entries(s.rename).map(([from, to]) => [compilePath(from), compilePath(to)] as const),
    }));
    compiled.set(shapes, out);
  }
  return out;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses and merges the bodies in call order: each result goes under its `as`, or, with
 * `merge: true` and an object result, its fields go to the top level (later calls win on a
 * clash). Invalid UTF-8 or JSON in an optional call's body leaves it out (partial); in a
 * required one's, reports that call instead.
 */
export function composeBodies(bodies: readonly CallBody[], shapes: readonly CallShape[]): ComposeResult {
  const specs = compile(shapes);
  const out: Record<string, unknown> = {};
  let partial = false;
  for (let i = 0; i < bodies.length; i++) {
    const body = bodies[i];
    if (body === null || body === undefined) continue;
    const spec = specs[i]!;
    let value: unknown;
    try {
      value = JSON.parse(decoder.decode(body));
    } catch {
      if (!spec.optional) return { ok: false, call: i };
      partial = true;
      continue;
    }
    if (spec.select !== null) value = selectPaths(value, spec.select);
    if (spec.rename !== null) value = renamePaths(value, spec.rename);
    if (spec.merge && typeof value === 'object' && value !== null && !Array.isArray(value)) mergeInto(out, value as Record<string, unknown>);
    else out[spec.as] = value;
  }
  return { ok: true, json: JSON.stringify(out), partial };
}

/** Copies own fields as data: a body's own "__proto__" key stays a field and never sets a prototype (Object.assign would). */
function mergeInto(out: Record<string, unknown>, value: Record<string, unknown>): void {
  for (const key of Object.keys(value)) Object.defineProperty(out, key, { value: value[key], enumerable: true, writable: true, configurable: true });
}
