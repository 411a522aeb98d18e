// Suggestions for a mistyped key: "unknown key "tokne" (did you mean "token"?)".
import type { z } from 'zod';

type Path = ReadonlyArray<string | number>;

interface AnyDef {
  type: string;
  shape?: Record<string, z.ZodType>;
  in?: z.ZodType;
  innerType?: z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  options?: readonly z.ZodType[];
}

const defOf = (schema: z.ZodType): AnyDef => (schema as unknown as { _zod: { def: AnyDef } })._zod.def;

/** The schemas a value at this level can be: wrappers (defaults, pipes) removed, unions spread. */
function unwrap(schema: z.ZodType): z.ZodType[] {
  const def = defOf(schema);
  if (def.type === 'pipe' && def.in) return unwrap(def.in);
  if (def.innerType) return unwrap(def.innerType);
  if (def.type === 'union' && def.options) return def.options.flatMap(unwrap);
  return [schema];
}

function child(schema: z.ZodType, key: string | number): z.ZodType[] {
  return unwrap(schema).flatMap((s) => {
    const def = defOf(s);
    if (def.type === 'object' && def.shape && typeof key === 'string' && Object.hasOwn(def.shape, key)) return [def.shape[key]!];
    if (def.type === 'array' && def.element && typeof key === 'number') return [def.element];
    if (def.type === 'record' && def.valueType) return [def.valueType];
    return [];
  });
}

/**
 * The keys the schema accepts in the mapping at `path`, leaving out the keys refused as not
 * supported yet (schema/scalars.ts marks them deprecated): suggesting one only leads to another error.
 */
export function knownKeysAt(root: z.ZodType, path: Path): string[] {
  let level = [root];
  for (const key of path) level = level.flatMap((s) => child(s, key));
  const keys = new Set<string>();
  for (const s of level.flatMap(unwrap)) {
    const shape = defOf(s).shape;
    if (defOf(s).type !== 'object' || !shape) continue;
    for (const [key, value] of Object.entries(shape)) if (value.meta()?.deprecated !== true) keys.add(key);
  }
  return [...keys];
}

/** The known key closest to a mistyped one, or null when none is close enough to be a typo. */
export function closestKey(typed: string, known: readonly string[]): string | null {
  const lower = typed.toLowerCase();
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const key of known) {
    const candidate = key.toLowerCase();
    // A shortened or lengthened name (maxBody for maxBodySize, targets for target).
    const prefix = lower.length >= 3 && (candidate.startsWith(lower) || lower.startsWith(candidate));
    const distance = prefix ? 0.5 : editDistance(lower, candidate);
    if (distance < bestDistance) {
      best = key;
      bestDistance = distance;
    }
  }
  const allowed = Math.max(1, Math.floor(typed.length / 3));
  return bestDistance <= allowed ? best : null;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) rows.push([i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 0; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = d;
    }
  }
  return rows[a.length]![b.length]!;
}
