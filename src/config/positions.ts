// Maps a config path to the line and column of its YAML node.
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { ConfigPath } from './errors.js';

export interface Position {
  line: number;
  col: number;
}

/**
 * The node at `path`: its key when `at` is 'key' (unknown or refused keys), else its value.
 * A path that stops early (a missing key) points at the deepest map or list that exists.
 */
export function locate(doc: Document, counter: LineCounter, path: ConfigPath, at: 'key' | 'value'): Position {
  let node: unknown = doc.contents;
  let keyNode: Node | null = null;
  for (const part of path) {
    if (isAlias(node)) node = node.resolve(doc);
    const step = childOf(node, part);
    if (!step) return positionOf(node, counter);
    keyNode = step.key;
    // `key:` with nothing after it has no value node; the key stands in for it.
    node = step.value ?? step.key;
  }
  return positionOf(at === 'key' && keyNode ? keyNode : node, counter);
}

function childOf(node: unknown, part: string | number): { key: Node; value: Node | null } | null {
  if (isMap(node)) {
    const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(part));
    return pair && isScalar(pair.key) ? { key: pair.key, value: (pair.value as Node | null) ?? null } : null;
  }
  if (isSeq(node)) {
    const item = node.items[Number(part)] as Node | undefined;
    return item ? { key: item, value: item } : null;
  }
  return null;
}

/**
 * The path as the file writes it: a list the schema also takes as one item (`listen: {...}` for
 * `listen: [{...}]`) has no index there, so `listen.0.port` is `listen.port` in such a file.
 */
export function writtenPath(doc: Document, path: ConfigPath): ConfigPath {
  let node: unknown = doc.contents;
  const out: (string | number)[] = [];
  for (const part of path) {
    if (isAlias(node)) node = node.resolve(doc);
    if (typeof part === 'number' && isMap(node)) continue;
    out.push(part);
    const step = childOf(node, part);
    node = step ? step.value ?? step.key : null;
  }
  return out;
}

export function offsetPosition(offset: number, counter: LineCounter): Position {
  const { line, col } = counter.linePos(offset);
  return { line, col };
}

function positionOf(node: unknown, counter: LineCounter): Position {
  const range = (node as Node | null | undefined)?.range;
  return range ? offsetPosition(range[0], counter) : { line: 1, col: 1 };
}
