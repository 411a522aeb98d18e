import * as L from '../shm/route-table-layout.js';
import { hashUtf8 } from '../shm/utf8-bytes.js';
import { flattenTries, type TrieNode } from './route-trie.js';
import { StringRegion } from './string-region.js';

export interface RouteTableInput {
  anyHostRoot: TrieNode;
  hostRoots: ReadonlyMap<string, TrieNode>;
  methodNames: readonly string[];
  /** Per route: ids (indices into methodNames) of the methods it allows; null = any. */
  routeMethods: readonly (readonly number[] | null)[];
  maxCaptures: number;
}

/** Open-addressed tables are kept at most half full. */
function tableSize(count: number): number {
  if (count === 0) return 0;
  let size = 2;
  while (size < count * 2) size *= 2;
  return size;
}

interface Regions {
  nodes: number; edges: number; edgeSlots: number; hosts: number; hostSlots: number;
  methods: number; methodWords: number; routes: number; lists: number; listLength: number;
  stringsByte: number; byteLength: number;
}

function planRegions(input: RouteTableInput, nodes: readonly TrieNode[], strings: StringRegion): Regions {
  let edgeSlots = 0;
  let listLength = 0;
  for (const node of nodes) {
    edgeSlots += tableSize(node.statics.size);
    listLength += node.routes.length + node.wildcardRoutes.length;
  }
  const hostSlots = tableSize(input.hostRoots.size);
  const methodWords = Math.ceil(input.methodNames.length / 32);
  const nodesAt = L.HEADER_WORDS;
  const edges = nodesAt + nodes.length * L.NODE_STRIDE;
  const hosts = edges + edgeSlots * L.EDGE_STRIDE;
  const methods = hosts + hostSlots * L.EDGE_STRIDE;
  const routes = methods + input.methodNames.length * L.METHOD_STRIDE;
  const lists = routes + input.routeMethods.length * L.routeStride(methodWords);
  const stringsByte = (lists + listLength) * 4;
  const byteLength = Math.ceil((stringsByte + strings.byteLength) / 8) * 8;
  return {
    nodes: nodesAt, edges, edgeSlots, hosts, hostSlots, methods, methodWords, routes, lists,
    listLength, stringsByte, byteLength,
  };
}

/** Puts (hash, string, child) into the first free slot of the table at `base`. */
function placeSlot(words: Int32Array, base: number, mask: number, text: string, strings: StringRegion, child: number): void {
  const hash = hashUtf8(text, 0, text.length);
  let i = hash & mask;
  while (words[base + i * L.EDGE_STRIDE + L.EDGE_CHILD] !== L.NO_NODE) i = (i + 1) & mask;
  const slot = base + i * L.EDGE_STRIDE;
  const { offset, length } = strings.add(text);
  words[slot + L.EDGE_HASH] = hash;
  words[slot + L.EDGE_STRING_OFFSET] = offset;
  words[slot + L.EDGE_STRING_LENGTH] = length;
  words[slot + L.EDGE_CHILD] = child;
}

function clearSlots(words: Int32Array, base: number, slots: number): void {
  for (let i = 0; i < slots; i++) words[base + i * L.EDGE_STRIDE + L.EDGE_CHILD] = L.NO_NODE;
}

function writeNodes(words: Int32Array, r: Regions, nodes: readonly TrieNode[], strings: StringRegion): void {
  const index = new Map<TrieNode, number>(nodes.map((node, i) => [node, i]));
  clearSlots(words, r.edges, r.edgeSlots);
  let edgeCursor = 0;
  let listCursor = r.lists;
  nodes.forEach((node, i) => {
    const at = r.nodes + i * L.NODE_STRIDE;
    const size = tableSize(node.statics.size);
    words[at + L.NODE_EDGES_START] = edgeCursor;
    words[at + L.NODE_EDGES_MASK] = size - 1; // -1 when there are no static children
    for (const [text, child] of node.statics) {
      placeSlot(words, r.edges + edgeCursor * L.EDGE_STRIDE, size - 1, text, strings, index.get(child) as number);
    }
    edgeCursor += size;
    words[at + L.NODE_PARAM_CHILD] = node.param === null ? L.NO_NODE : index.get(node.param) as number;
    words[at + L.NODE_ROUTES_START] = listCursor;
    words[at + L.NODE_ROUTES_COUNT] = node.routes.length;
    for (const route of node.routes) words[listCursor++] = route;
    words[at + L.NODE_WILDCARD_START] = listCursor;
    words[at + L.NODE_WILDCARD_COUNT] = node.wildcardRoutes.length;
    for (const route of node.wildcardRoutes) words[listCursor++] = route;
  });
}

function writeHostsMethodsRoutes(words: Int32Array, r: Regions, input: RouteTableInput, strings: StringRegion): void {
  clearSlots(words, r.hosts, r.hostSlots);
  let root = 1; // flattenTries numbers the roots first: any-host root 0, then the host roots
  for (const host of input.hostRoots.keys()) placeSlot(words, r.hosts, r.hostSlots - 1, host, strings, root++);
  input.methodNames.forEach((name, id) => {
    const { offset, length } = strings.add(name);
    words[r.methods + id * L.METHOD_STRIDE + L.METHOD_STRING_OFFSET] = offset;
    words[r.methods + id * L.METHOD_STRIDE + L.METHOD_STRING_LENGTH] = length;
  });
  const stride = L.routeStride(r.methodWords);
  input.routeMethods.forEach((ids, route) => {
    const at = r.routes + route * stride;
    if (ids === null) {
      words[at + L.ROUTE_FLAGS] = L.ROUTE_FLAG_ANY_METHOD;
      return;
    }
    for (const id of ids) words[at + L.ROUTE_MASK_START + (id >> 5)]! |= 1 << (id & 31);
  });
}

function writeHeader(words: Int32Array, r: Regions, input: RouteTableInput, nodeCount: number, stringBytes: number): void {
  words[L.H_MAGIC] = L.ROUTE_TABLE_MAGIC;
  words[L.H_VERSION] = L.ROUTE_TABLE_VERSION;
  words[L.H_BYTE_LENGTH] = r.byteLength;
  words[L.H_ROUTE_COUNT] = input.routeMethods.length;
  words[L.H_NODE_COUNT] = nodeCount;
  words[L.H_ANY_HOST_ROOT] = 0; // flattenTries puts the any-host root first
  words[L.H_HOST_SLOTS] = r.hostSlots;
  words[L.H_METHOD_COUNT] = input.methodNames.length;
  words[L.H_METHOD_WORDS] = r.methodWords;
  words[L.H_MAX_CAPTURES] = input.maxCaptures;
  words[L.H_NODES_OFFSET] = r.nodes;
  words[L.H_EDGES_OFFSET] = r.edges;
  words[L.H_EDGE_SLOTS] = r.edgeSlots;
  words[L.H_HOSTS_OFFSET] = r.hosts;
  words[L.H_METHODS_OFFSET] = r.methods;
  words[L.H_ROUTES_OFFSET] = r.routes;
  words[L.H_ROUTE_LISTS_OFFSET] = r.lists;
  words[L.H_ROUTE_LISTS_LENGTH] = r.listLength;
  words[L.H_STRINGS_BYTE_OFFSET] = r.stringsByte;
  words[L.H_STRINGS_BYTE_LENGTH] = stringBytes;
}

export function writeRouteTable(input: RouteTableInput): SharedArrayBuffer {
  const nodes = flattenTries([input.anyHostRoot, ...input.hostRoots.values()]);
  const strings = new StringRegion();
  // Strings first: their total size decides where the buffer ends.
  for (const node of nodes) for (const text of node.statics.keys()) strings.add(text);
  for (const host of input.hostRoots.keys()) strings.add(host);
  for (const name of input.methodNames) strings.add(name);

  const regions = planRegions(input, nodes, strings);
  const sab = new SharedArrayBuffer(regions.byteLength);
  const words = new Int32Array(sab);
  writeNodes(words, regions, nodes, strings);
  writeHostsMethodsRoutes(words, regions, input, strings);
  strings.writeTo(new Uint8Array(sab), regions.stringsByte);
  writeHeader(words, regions, input, nodes.length, strings.byteLength);
  return sab;
}
