import type { RouteSegment } from './parse-route-path.js';

/** Build-time trie, one per host group; route-table-writer.ts flattens it into the buffer. */
export interface TrieNode {
  statics: Map<string, TrieNode>;
  param: TrieNode | null;
  /** Routes whose path ends at this node, in spec order. */
  routes: number[];
  /** Routes whose path is this node's path followed by a trailing `*`, in spec order. */
  wildcardRoutes: number[];
}

export function newTrieNode(): TrieNode {
  return { statics: new Map(), param: null, routes: [], wildcardRoutes: [] };
}

export function insertRoute(root: TrieNode, segments: readonly RouteSegment[], route: number): void {
  let node = root;
  for (const segment of segments) {
    if (segment.kind === 'wildcard') {
      node.wildcardRoutes.push(route);
      return;
    }
    if (segment.kind === 'param') {
      node.param ??= newTrieNode();
      node = node.param;
      continue;
    }
    let child = node.statics.get(segment.text);
    if (child === undefined) {
      child = newTrieNode();
      node.statics.set(segment.text, child);
    }
    node = child;
  }
  node.routes.push(route);
}

/** Every node reachable from the roots, each once, roots first in the order given. */
export function flattenTries(roots: readonly TrieNode[]): TrieNode[] {
  const order: TrieNode[] = [...roots];
  for (let i = 0; i < order.length; i++) {
    const node = order[i] as TrieNode;
    for (const child of node.statics.values()) order.push(child);
    if (node.param !== null) order.push(node.param);
  }
  return order;
}
