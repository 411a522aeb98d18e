import { parseRoutePath } from './parse-route-path.js';
import type { RouteSpec } from './route-spec.js';
import { insertRoute, newTrieNode, type TrieNode } from './route-trie.js';
import { writeRouteTable } from './route-table-writer.js';

const METHOD_TOKEN = /^[A-Z0-9!#$%&'*+.^_`|~-]+$/;

function checkSpec(spec: RouteSpec, index: number): void {
  const where = `route ${index} (${JSON.stringify(spec.path)})`;
  if (spec.methods !== null) {
    if (spec.methods.length === 0) throw new Error(`${where}: methods must be null (any) or non-empty`);
    for (const method of spec.methods) {
      if (!METHOD_TOKEN.test(method)) throw new Error(`${where}: method ${JSON.stringify(method)} must be an uppercase token`);
    }
  }
  if (spec.host !== null && (spec.host === '' || spec.host !== spec.host.toLowerCase())) {
    throw new Error(`${where}: host ${JSON.stringify(spec.host)} must be null (any) or a non-empty lowercase name`);
  }
}

/**
 * Builds the immutable route table for one config generation (call it once, in the supervisor,
 * and post the buffer to every worker). Route index = position in `specs`. Throws an Error
 * naming the route for an invalid spec.
 */
export function buildRouteTable(specs: readonly RouteSpec[]): SharedArrayBuffer {
  const anyHostRoot = newTrieNode();
  const hostRoots = new Map<string, TrieNode>();
  const methodIds = new Map<string, number>();
  const routeMethods: (number[] | null)[] = [];
  let maxCaptures = 0;

  specs.forEach((spec, index) => {
    checkSpec(spec, index);
    let segments;
    try {
      segments = parseRoutePath(spec.path);
    } catch (error) {
      throw new Error(`route ${index}: ${(error as Error).message}`);
    }
    maxCaptures = Math.max(maxCaptures, segments.filter((s) => s.kind !== 'static').length);
    let root = anyHostRoot;
    if (spec.host !== null) {
      root = hostRoots.get(spec.host) ?? newTrieNode();
      hostRoots.set(spec.host, root);
    }
    insertRoute(root, segments, index);
    routeMethods.push(spec.methods === null ? null : spec.methods.map((method) => {
      let id = methodIds.get(method);
      if (id === undefined) methodIds.set(method, (id = methodIds.size));
      return id;
    }));
  });

  return writeRouteTable({
    anyHostRoot, hostRoots, methodNames: [...methodIds.keys()], routeMethods, maxCaptures,
  });
}
