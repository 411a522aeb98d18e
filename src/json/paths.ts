// Dot-path field operations on parsed JSON (`a.b.c`), shared by aggregation (select, rename)
// and body transforms. Paths are split once, when a route is compiled: a compiled path is a
// list of keys.

export type JsonPath = readonly string[];

export function compilePath(path: string): JsonPath {
  return path.split('.');
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Keeps only the listed paths of `value`; a path missing from the value is left out. Through an
 * array a path applies to each element (`items.id` keeps the id of every item), so a selection
 * works on lists of records as on one record. A value that is neither object nor array passes
 * unchanged.
 */
export function selectPaths(value: unknown, paths: readonly JsonPath[]): unknown {
  if (Array.isArray(value)) return value.map((item) => selectPaths(item, paths));
  if (!isObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const path of paths) copyPath(value, out, path, 0);
  return out;
}

function copyPath(from: Record<string, unknown>, to: Record<string, unknown>, path: JsonPath, at: number): void {
  const key = path[at]!;
  if (!Object.hasOwn(from, key)) return;
  const value = from[key];
  if (at === path.length - 1) {
    to[key] = value;
    return;
  }
  if (Array.isArray(value)) {
    const rest = [path.slice(at + 1)];
    const previous = to[key];
    // Two paths through one array (items.id, items.name) fill the same selected elements.
    to[key] = value.map((item, i) => (Array.isArray(previous) && isObject(previous[i]) && isObject(item)
      ? mergeSelected(previous[i] as Record<string, unknown>, item, rest)
      : selectPaths(item, rest)));
    return;
  }
  if (!isObject(value)) return;
  const child = isObject(to[key]) ? (to[key] as Record<string, unknown>) : (to[key] = {});
  copyPath(value, child as Record<string, unknown>, path, at + 1);
}

function mergeSelected(into: Record<string, unknown>, item: Record<string, unknown>, paths: readonly JsonPath[]): Record<string, unknown> {
  for (const path of paths) copyPath(item, into, path, 0);
  return into;
}

/** The value at `path`, or undefined when the path does not lead through objects to a key. */
export function getPath(value: unknown, path: JsonPath): unknown {
  let node = value;
  for (const key of path) {
    if (!isObject(node) || !Object.hasOwn(node, key)) return undefined;
    node = node[key];
  }
  return node;
}

/** Sets the value at `path`, creating parent objects (a parent that is not an object is replaced). */
export function setPath(value: Record<string, unknown>, path: JsonPath, field: unknown): void {
  let node = value;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i]!;
    const next = node[key];
    node = isObject(next) ? next : (node[key] = {}) as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = field;
}

/** Removes the field at `path`; returns whether there was one. */
export function removePath(value: unknown, path: JsonPath): boolean {
  const parent = getPath(value, path.slice(0, -1));
  const key = path[path.length - 1]!;
  if (!isObject(parent) || !Object.hasOwn(parent, key)) return false;
  delete parent[key];
  return true;
}

/**
 * Calls `fn` with each object found at `path[0..end)`: through an array, with each of its elements
 * (as selectPaths goes through lists), so `items.secret` reaches the secret of every item. A
 * missing key or a scalar on the way ends that branch.
 */
function eachObjectAt(value: unknown, path: JsonPath, end: number, fn: (node: Record<string, unknown>) => void, at = 0): void {
  if (Array.isArray(value)) {
    for (const item of value) eachObjectAt(item, path, end, fn, at);
    return;
  }
  if (!isObject(value)) return;
  if (at === end) {
    fn(value);
    return;
  }
  const key = path[at]!;
  if (Object.hasOwn(value, key)) eachObjectAt(value[key], path, end, fn, at + 1);
}

/** Drops the field at each path; through a list, from each element. A missing field is no error. */
export function removePaths(value: unknown, paths: readonly JsonPath[]): unknown {
  for (const path of paths) {
    const key = path[path.length - 1]!;
    eachObjectAt(value, path, path.length - 1, (parent) => { delete parent[key]; });
  }
  return value;
}

/**
 * Moves each `from` field to `to`, in the order given (creating parent objects); a `from` that is
 * missing moves nothing. The move happens in the deepest object both paths share: lists on that
 * shared part apply it to each element (`items.id` -> `items.key` renames in every item), while a
 * `from` that goes through a list below it moves nothing. A value that is neither object nor list
 * is left as it is.
 */
export function renamePaths(value: unknown, moves: readonly (readonly [JsonPath, JsonPath])[]): unknown {
  for (const [from, to] of moves) {
    const shared = sharedPrefix(from, to);
    const rest = shared === 0 ? from : from.slice(shared);
    const target = shared === 0 ? to : to.slice(shared);
    eachObjectAt(value, from, shared, (node) => {
      const field = getPath(node, rest);
      if (field === undefined || !removePath(node, rest)) return;
      setPath(node, target, field);
    });
  }
  return value;
}

/** How many leading keys two paths share, leaving each at least its last key. */
function sharedPrefix(a: JsonPath, b: JsonPath): number {
  const most = Math.min(a.length, b.length) - 1;
  let n = 0;
  while (n < most && a[n] === b[n]) n++;
  return n;
}

/**
 * Sets each path to a copy of its value, creating parent objects; through a list, in each element
 * that is an object. A parent that is a scalar (or null) is replaced by an object. A value that is
 * neither object nor list is left as it is.
 */
export function setPaths(value: unknown, fields: readonly (readonly [JsonPath, unknown])[]): unknown {
  for (const [path, field] of fields) {
    if (Array.isArray(value)) {
      for (const item of value) if (isObject(item)) setThrough(item, path, 0, field);
    } else if (isObject(value)) {
      setThrough(value, path, 0, field);
    }
  }
  return value;
}

function setThrough(node: Record<string, unknown>, path: JsonPath, at: number, field: unknown): void {
  const key = path[at]!;
  if (at === path.length - 1) {
    // A copy: the configured value is frozen, and a later path may set a field inside it.
    node[key] = typeof field === 'object' && field !== null ? structuredClone(field) : field;
    return;
  }
  const next = node[key];
  if (Array.isArray(next)) {
    for (const item of next) if (isObject(item)) setThrough(item, path, at + 1, field);
    return;
  }
  setThrough(isObject(next) ? next : (node[key] = {}) as Record<string, unknown>, path, at + 1, field);
}
