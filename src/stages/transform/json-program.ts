// The pure part of a route's `transform`: one direction's rules compiled once into a function
// over parsed JSON, and the bytes around it (UTF-8 JSON in, JSON text out).
import { compilePath, removePaths, renamePaths, selectPaths, setPaths, setPath, type JsonPath } from '../../json/paths.js';

/** One direction's rules as configured; a key the direction does not have is absent or null. */
export interface JsonRules {
  select?: readonly string[] | null;
  remove?: readonly string[] | null;
  rename?: Readonly<Record<string, string>> | null;
  set?: Readonly<Record<string, unknown>> | null;
  wrap?: string | null;
}

export type JsonProgram = (value: unknown) => unknown;

/** The rules in their fixed order: select, remove, rename, set, wrap. Each step works in place on the parsed value. */
export function compileJsonProgram(rules: JsonRules): JsonProgram {
  const steps: JsonProgram[] = [];
  if (rules.select) {
    const paths = rules.select.map(compilePath);
    steps.push((value) => selectPaths(value, paths));
  }
  if (rules.remove) {
    const paths = rules.remove.map(compilePath);
    steps.push((value) => removePaths(value, paths));
  }
  if (rules.rename) {
    const moves = Object.entries(rules.rename).map(([from, to]) => [compilePath(from), compilePath(to)] as const);
    steps.push((value) => renamePaths(value, moves));
  }
  if (rules.set) {
    const fields = Object.entries(rules.set).map(([path, field]): readonly [JsonPath, unknown] => [compilePath(path), field]);
    steps.push((value) => setPaths(value, fields));
  }
  if (rules.wrap) {
    const path = compilePath(rules.wrap);
    steps.push((value) => {
      const out: Record<string, unknown> = {};
      setPath(out, path, value);
      return out;
    });
  }
  return (value) => {
    let out = value;
    for (const step of steps) out = step(out);
    return out;
  };
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** The transformed body as JSON text, or null when `body` is not UTF-8 JSON. */
export function runJsonProgram(program: JsonProgram, body: string | Uint8Array): string | null {
  let value: unknown;
  try {
    value = JSON.parse(typeof body === 'string' ? body : decoder.decode(body));
  } catch {
    return null;
  }
  return JSON.stringify(program(value));
}
