// Route `transform`: rules of one direction that could never take effect, given the fixed order
// (select, remove, rename, set, wrap). A rename target inside a removed path is allowed: the
// removal runs first, so the rename puts the field back where the old one was dropped.
import type { Problem } from '../errors.js';
import { asList, asMap, asString, type RawMap } from './raw.js';

const split = (path: string): string[] => path.split('.');

/** Whether `a` is `b` or a path inside it. */
function within(a: string, b: string): boolean {
  return a === b || a.startsWith(b + '.');
}

const isObject = (value: unknown): boolean => typeof value === 'object' && value !== null && !Array.isArray(value);

export function checkTransform(route: RawMap, index: number): Problem[] {
  const transform = asMap(route['transform']);
  if (transform === null) return [];
  const problems: Problem[] = [];
  if (route['respond'] !== undefined) {
    problems.push({ path: ['routes', index, 'transform'], at: 'key', message: 'a "respond" route has no upstream body to transform: "transform" applies to routes with an "upstream" or "aggregate"' });
  }
  for (const direction of ['request', 'response'] as const) {
    const json = asMap(asMap(transform[direction])?.['json']);
    if (json === null) continue;
    const at = (...rest: (string | number)[]): (string | number)[] => ['routes', index, 'transform', direction, 'json', ...rest];
    const ops = direction === 'request' ? ['remove', 'rename', 'set'] : ['select', 'remove', 'rename', 'wrap'];
    if (!ops.some((op) => json[op] !== undefined)) {
      problems.push({ path: at(), at: 'value', message: `nothing to do: give at least one of ${ops.join(', ')}` });
      continue;
    }
    const selected = direction === 'request' ? [] : asList(json['select']).map(asString).filter((p): p is string => p !== null);
    const removed = asList(json['remove']).map(asString).filter((p): p is string => p !== null);
    const renames = Object.entries(asMap(json['rename']) ?? {});
    // select runs first: a later rule on a field outside every selected path finds nothing.
    const kept = (path: string): boolean => selected.length === 0 || selected.some((s) => within(path, s) || within(s, path));
    removed.forEach((path, i) => {
      if (!kept(path)) problems.push({ path: at('remove', i), at: 'value', message: `"${path}" is not selected: select runs first, so there is nothing to remove` });
    });
    for (const [from, to] of renames) {
      const gone = removed.find((r) => within(from, r));
      if (gone !== undefined) problems.push({ path: at('rename', from), at: 'key', message: `"${from}" is removed (remove: "${gone}") before renames run, so there is nothing to move` });
      else if (!kept(from)) problems.push({ path: at('rename', from), at: 'key', message: `"${from}" is not selected: select runs first, so there is nothing to move` });
      const over = Object.keys(asMap(json['set']) ?? {}).find((s) => within(String(to), s));
      if (over !== undefined) problems.push({ path: at('rename', from), at: 'value', message: `set "${over}" runs after renames and replaces what this rename moves to "${String(to)}"` });
    }
    problems.push(...checkSets(asMap(json['set']), at));
  }
  return problems;
}

/** Two set paths, one inside the other, where the later or the scalar one undoes the other. */
function checkSets(set: RawMap | null, at: (...rest: (string | number)[]) => (string | number)[]): Problem[] {
  if (set === null) return [];
  const problems: Problem[] = [];
  const entries = Object.entries(set);
  entries.forEach(([inner], i) => {
    entries.forEach(([outer, value], j) => {
      if (inner === outer || !within(inner, outer) || split(outer).length >= split(inner).length) return;
      if (!isObject(value)) problems.push({ path: at('set', inner), at: 'key', message: `"${outer}" is set to a value that is not an object, so "${inner}" cannot be set inside it` });
      else if (j > i) problems.push({ path: at('set', inner), at: 'key', message: `"${outer}" is set after "${inner}" and replaces it: list "${outer}" first` });
    });
  });
  return problems;
}
