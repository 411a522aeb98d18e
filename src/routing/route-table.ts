import * as L from '../shm/route-table-layout.js';
import { FNV_OFFSET, FNV_PRIME, hashUtf8, utf8RangeEquals } from '../shm/utf8-bytes.js';

export const NOT_FOUND = -1;
export const METHOD_NOT_ALLOWED = -2;

const SLASH = 0x2f;

/**
 * Read-only view of a table made by buildRouteTable; every worker wraps the same buffer.
 * Matching (SPEC §2), decided here:
 * - segment by segment, case-sensitive, static beats `:param` beats a trailing `*`, with
 *   backtracking: when everything under the static child fails, the param child is tried, then
 *   the wildcard. A `:param` matches one non-empty segment.
 * - `/a/*` matches `/a`, `/a/` and `/a/x/y` (the rest is '', '', 'x/y'), never `/ab`.
 * - trailing slashes count: `/a` and `/a/` are different paths (`/a/` is `a` plus an empty
 *   segment), unless a wildcard takes both.
 * - routes naming the request's host are tried before host-less ones, and the method is part of
 *   the match: the first route in that order whose path matches and that allows the method wins
 *   (so `POST /a/b` falls through a GET-only `/a/b` to a POST `/a/:x`). If paths matched but no
 *   method did: METHOD_NOT_ALLOWED. No implied methods: a GET route does not take HEAD.
 * The lookup allocates nothing but the param strings it returns; per-lookup state lives in
 * fields so the recursive matcher passes only numbers.
 */
export class RouteTable {
  readonly routeCount: number;
  private readonly words: Int32Array;
  private readonly bytes: Uint8Array;
  private readonly nodes: number;
  private readonly edges: number;
  private readonly hosts: number;
  private readonly hostMask: number;
  private readonly methods: number;
  private readonly methodCount: number;
  private readonly methodWords: number;
  private readonly routes: number;
  private readonly routeStride: number;
  private readonly strings: number;
  private readonly anyHostRoot: number;
  /** (start, end) pairs into the path for each capture of the match in progress. */
  private readonly captures: Int32Array;
  private readonly allowedMask: Int32Array;
  /**
   * Method names decoded once at wrap time: comparing JS strings instead of the stored bytes
   * measured +5-7% lookups/s on the GitHub static set (A/B in one process, median of 10 rounds).
   */
  private readonly methodNames: string[];

  private path = '';
  private methodId = -1;
  private pathMatched = false;
  private collecting = false;
  private captureCount = 0;

  constructor(sab: SharedArrayBuffer) {
    if (!(sab instanceof SharedArrayBuffer)) {
      throw new TypeError('RouteTable needs the SharedArrayBuffer made by buildRouteTable');
    }
    if (sab.byteLength < L.HEADER_WORDS * 4 || sab.byteLength % 4 !== 0) {
      throw new Error(`route table: a ${sab.byteLength}-byte buffer cannot hold a route table`);
    }
    const w = new Int32Array(sab);
    if (w[L.H_MAGIC] !== L.ROUTE_TABLE_MAGIC) {
      throw new Error(`route table: bad magic 0x${(w[L.H_MAGIC]! >>> 0).toString(16)}, not a Tollgate route table`);
    }
    if (w[L.H_VERSION] !== L.ROUTE_TABLE_VERSION) {
      throw new Error(`route table: layout version ${w[L.H_VERSION]}, this build reads version ${L.ROUTE_TABLE_VERSION}`);
    }
    if (w[L.H_BYTE_LENGTH] !== sab.byteLength) {
      throw new Error(`route table: header says ${w[L.H_BYTE_LENGTH]} bytes, buffer has ${sab.byteLength}`);
    }
    this.words = w;
    this.bytes = new Uint8Array(sab);
    this.routeCount = w[L.H_ROUTE_COUNT]!;
    this.nodes = w[L.H_NODES_OFFSET]!;
    this.edges = w[L.H_EDGES_OFFSET]!;
    this.hosts = w[L.H_HOSTS_OFFSET]!;
    this.hostMask = w[L.H_HOST_SLOTS]! - 1;
    this.methods = w[L.H_METHODS_OFFSET]!;
    this.methodCount = w[L.H_METHOD_COUNT]!;
    this.methodWords = w[L.H_METHOD_WORDS]!;
    this.routes = w[L.H_ROUTES_OFFSET]!;
    this.routeStride = L.routeStride(this.methodWords);
    this.strings = w[L.H_STRINGS_BYTE_OFFSET]!;
    this.anyHostRoot = w[L.H_ANY_HOST_ROOT]!;
    this.captures = new Int32Array(2 * Math.max(1, w[L.H_MAX_CAPTURES]!));
    this.allowedMask = new Int32Array(Math.max(1, this.methodWords));
    this.methodNames = Array.from({ length: this.methodCount }, (_, id) => this.methodName(id));
  }

  /**
   * method: uppercase; host: lowercase without port, '' when absent; path: normalised.
   * Returns the route index, NOT_FOUND or METHOD_NOT_ALLOWED; `params` gets the `:name` values
   * in path order, then the wildcard's rest (no leading '/', may be '').
   */
  lookup(method: string, host: string, path: string, params: string[]): number {
    if (params.length !== 0) params.length = 0; // setting length is a runtime call; skip it when we can
    if (path.charCodeAt(0) !== SLASH) return NOT_FOUND;
    this.path = path;
    this.methodId = this.findMethod(method);
    this.pathMatched = false;
    this.collecting = false;
    const route = this.matchHostThenAny(host);
    this.path = '';
    if (route < 0) return this.pathMatched ? METHOD_NOT_ALLOWED : NOT_FOUND;
    const captures = this.captures;
    for (let k = 0; k < this.captureCount; k++) {
      params.push(path.slice(captures[2 * k], captures[2 * k + 1]));
    }
    return route;
  }

  /** Sorted, unique methods of every route whose path matches (for a 405's Allow header). */
  allowedMethods(host: string, path: string): string[] {
    if (path.charCodeAt(0) !== SLASH) return [];
    this.path = path;
    this.methodId = -1;
    this.collecting = true;
    this.allowedMask.fill(0);
    this.matchHostThenAny(host); // in collecting mode no route is picked: every match is visited
    this.collecting = false;
    this.path = '';
    const names: string[] = [];
    for (let id = 0; id < this.methodCount; id++) {
      if ((this.allowedMask[id >> 5]! & (1 << (id & 31))) !== 0) names.push(this.methodNames[id]!);
    }
    return names.sort();
  }

  private matchHostThenAny(host: string): number {
    if (host.length > 0 && this.hostMask >= 0) {
      const root = this.findHostRoot(host);
      if (root >= 0) {
        const route = this.matchNode(root, 1, 0);
        if (route >= 0) return route;
      }
    }
    return this.matchNode(this.anyHostRoot, 1, 0);
  }

  /**
   * Depth-first match of the path from `pos` (start of the next segment, -1 once the path is
   * consumed) at `node`, with `depth` captures taken so far. Returns a route index or -1.
   */
  private matchNode(node: number, pos: number, depth: number): number {
    const w = this.words;
    const at = this.nodes + node * L.NODE_STRIDE;
    if (pos < 0) {
      const route = this.pickRoute(w[at + L.NODE_ROUTES_START]!, w[at + L.NODE_ROUTES_COUNT]!);
      if (route >= 0) {
        this.captureCount = depth;
        return route;
      }
      return this.matchWildcard(at, this.path.length, depth);
    }
    const path = this.path;
    const len = path.length;
    const mask = w[at + L.NODE_EDGES_MASK]!;
    let end: number;
    if (mask < 0) {
      end = path.indexOf('/', pos);
      if (end < 0) end = len;
    } else {
      // Find the segment's end and hash it in one pass; ASCII char codes are their UTF-8 bytes.
      let hash = FNV_OFFSET;
      let ascii = true;
      for (end = pos; end < len; end++) {
        const c = path.charCodeAt(end);
        if (c === SLASH) break;
        if (c >= 0x80) ascii = false;
        hash = Math.imul(hash ^ c, FNV_PRIME);
      }
      if (!ascii) hash = hashUtf8(path, pos, end);
      const child = this.findEdge(this.edges + w[at + L.NODE_EDGES_START]! * L.EDGE_STRIDE, mask, hash, pos, end, ascii);
      if (child >= 0) {
        const route = this.matchNode(child, end < len ? end + 1 : -1, depth);
        if (route >= 0) return route;
      }
    }
    const next = end < len ? end + 1 : -1;
    const param = w[at + L.NODE_PARAM_CHILD]!;
    if (param >= 0 && end > pos) {
      this.captures[2 * depth] = pos;
      this.captures[2 * depth + 1] = end;
      const route = this.matchNode(param, next, depth + 1);
      if (route >= 0) return route;
    }
    return this.matchWildcard(at, pos, depth);
  }

  /** The trailing `*` of the node at word `at`, taking the path from `pos` to its end. */
  private matchWildcard(at: number, pos: number, depth: number): number {
    const count = this.words[at + L.NODE_WILDCARD_COUNT]!;
    if (count === 0) return -1;
    const route = this.pickRoute(this.words[at + L.NODE_WILDCARD_START]!, count);
    if (route < 0) return -1;
    this.captures[2 * depth] = pos;
    this.captures[2 * depth + 1] = this.path.length;
    this.captureCount = depth + 1;
    return route;
  }

  /** First route of the list that allows the method; records that some path matched. */
  private pickRoute(start: number, count: number): number {
    const w = this.words;
    for (let k = start; k < start + count; k++) {
      const route = w[k]!;
      const at = this.routes + route * this.routeStride;
      this.pathMatched = true;
      if (this.collecting) {
        for (let m = 0; m < this.methodWords; m++) this.allowedMask[m]! |= w[at + L.ROUTE_MASK_START + m]!;
        continue;
      }
      if ((w[at + L.ROUTE_FLAGS]! & L.ROUTE_FLAG_ANY_METHOD) !== 0) return route;
      const id = this.methodId;
      if (id >= 0 && (w[at + L.ROUTE_MASK_START + (id >> 5)]! & (1 << (id & 31))) !== 0) return route;
    }
    return -1;
  }

  /** Child node of the static edge equal to path[pos, end), or -1. Tables are never full. */
  private findEdge(base: number, mask: number, hash: number, pos: number, end: number, ascii: boolean): number {
    const w = this.words;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const slot = base + i * L.EDGE_STRIDE;
      const child = w[slot + L.EDGE_CHILD]!;
      if (child < 0) return -1;
      if (w[slot + L.EDGE_HASH] === hash
        && this.stringEquals(w[slot + L.EDGE_STRING_OFFSET]!, w[slot + L.EDGE_STRING_LENGTH]!, this.path, pos, end, ascii)) {
        return child;
      }
    }
  }

  private stringEquals(offset: number, length: number, str: string, start: number, end: number, ascii: boolean): boolean {
    const from = this.strings + offset;
    if (!ascii) return utf8RangeEquals(this.bytes, from, length, str, start, end);
    if (length !== end - start) return false;
    const bytes = this.bytes;
    for (let k = 0; k < length; k++) if (bytes[from + k] !== str.charCodeAt(start + k)) return false;
    return true;
  }

  private findMethod(method: string): number {
    const names = this.methodNames;
    for (let id = 0; id < names.length; id++) if (names[id] === method) return id;
    return -1;
  }

  private findHostRoot(host: string): number {
    const w = this.words;
    const hash = hashUtf8(host, 0, host.length);
    for (let i = hash & this.hostMask; ; i = (i + 1) & this.hostMask) {
      const slot = this.hosts + i * L.EDGE_STRIDE;
      const root = w[slot + L.EDGE_CHILD]!;
      if (root < 0) return -1;
      if (w[slot + L.EDGE_HASH] === hash
        && this.stringEquals(w[slot + L.EDGE_STRING_OFFSET]!, w[slot + L.EDGE_STRING_LENGTH]!, host, 0, host.length, false)) {
        return root;
      }
    }
  }

  private methodName(id: number): string {
    const at = this.methods + id * L.METHOD_STRIDE;
    const from = this.strings + this.words[at + L.METHOD_STRING_OFFSET]!;
    // Method names are ASCII tokens (checked at build), so each byte is one char.
    return String.fromCharCode(...this.bytes.subarray(from, from + this.words[at + L.METHOD_STRING_LENGTH]!));
  }
}
