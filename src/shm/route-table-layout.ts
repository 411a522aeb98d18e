/**
 * Layout of the route table SharedArrayBuffer: the one place that names its regions and slots.
 *
 * The supervisor builds one table per config generation (routing/build-route-table.ts); every
 * worker wraps the same buffer (routing/route-table.ts) and reads it without locks or Atomics.
 *
 * Why plain reads are safe: the buffer is written completely by the building thread before it
 * is posted to any worker, and is never written again. postMessage hands the buffer over through
 * the port's message queue, which is guarded by a lock on both sides, so every write made before
 * the post happens-before every read made after the receiving thread gets the message. With no
 * write after publication there is no data race to order, hence no Atomics.
 *
 * Reload: a new config builds a NEW buffer; each worker swaps its RouteTable reference between
 * two requests. A request in flight has already resolved its route object (of its own config
 * generation) and never goes back to the table, so the swap cannot change a request half-way.
 * Reclaiming: a SharedArrayBuffer's backing store is reference-counted across threads; it is
 * freed once the GC of every thread holding a wrapper has dropped it, i.e. shortly after the
 * last worker swapped its reference (the supervisor should drop its own copy too).
 *
 * Addressing: all int regions are Int32 word offsets into one Int32Array over the whole buffer;
 * the string region is a byte offset into a Uint8Array over the same buffer.
 *
 * Node record (NODE_STRIDE words): a node is reached after consuming some path segments.
 *   static children: an open-addressed hash table of EDGE_STRIDE-word slots (linear probing,
 *     power-of-two size, load <= 1/2), keyed by the FNV-1a hash of the segment's UTF-8 bytes;
 *     an empty slot has EDGE_CHILD = -1. A node without static children has mask -1.
 *   param child: node index or -1.
 *   routes ending here / trailing-wildcard routes hanging here: ranges of the route-list region,
 *     route indices in spec order (the first route that allows the method wins).
 * Hash tables instead of sorted edge arrays: a gateway root often has thousands of children
 * (`/svc1`..`/svc3000`); the hash is computed in the same pass that finds the segment's end,
 * so a probe costs one compare of the stored hash in the common case.
 *
 * Host table: open-addressed like the edges, keyed by the hash of the lowercase host; each slot
 * names the root node of that host's trie. The any-host trie root is H_ANY_HOST_ROOT.
 * Method table: METHOD_STRIDE words per method (string offset, length), in id order; a route
 * record holds a flags word then H_METHOD_WORDS bitmask words (bit id set = method allowed).
 * The reader decodes the few method names into JS strings once at wrap time (measured gain in
 * route-table.ts); everything else, the trie included, is read from the buffer on each lookup.
 *
 * Strings (static segments, hosts, methods) are UTF-8 in the string region, deduplicated.
 * Static segments are in fact ASCII: route paths go through normalizePath, which
 * percent-encodes anything else; hosts may hold any character.
 */

export const ROUTE_TABLE_MAGIC = 0x54475254; // 'TGRT'
export const ROUTE_TABLE_VERSION = 1;

// Header words.
export const H_MAGIC = 0;
export const H_VERSION = 1;
export const H_BYTE_LENGTH = 2;
export const H_ROUTE_COUNT = 3;
export const H_NODE_COUNT = 4;
export const H_ANY_HOST_ROOT = 5;
export const H_HOST_SLOTS = 6; // size of the host hash table (0 when no route names a host)
export const H_METHOD_COUNT = 7;
export const H_METHOD_WORDS = 8; // bitmask words per route record
export const H_MAX_CAPTURES = 9; // most params (+1 for a wildcard) any route captures
export const H_NODES_OFFSET = 10;
export const H_EDGES_OFFSET = 11;
export const H_EDGE_SLOTS = 12;
export const H_HOSTS_OFFSET = 13;
export const H_METHODS_OFFSET = 14;
export const H_ROUTES_OFFSET = 15;
export const H_ROUTE_LISTS_OFFSET = 16;
export const H_ROUTE_LISTS_LENGTH = 17;
export const H_STRINGS_BYTE_OFFSET = 18;
export const H_STRINGS_BYTE_LENGTH = 19;
export const HEADER_WORDS = 20;

// Node record.
export const NODE_EDGES_START = 0; // first slot index of its static-children table
export const NODE_EDGES_MASK = 1; // table size - 1, or -1 when there are no static children
export const NODE_PARAM_CHILD = 2;
export const NODE_ROUTES_START = 3;
export const NODE_ROUTES_COUNT = 4;
export const NODE_WILDCARD_START = 5;
export const NODE_WILDCARD_COUNT = 6;
export const NODE_STRIDE = 8; // 7 used; 8 keeps records aligned on a power of two

// Static edge slot (and host slot: same shape, the child is the host's root node).
export const EDGE_HASH = 0;
export const EDGE_STRING_OFFSET = 1; // byte offset inside the string region
export const EDGE_STRING_LENGTH = 2; // UTF-8 byte length
export const EDGE_CHILD = 3; // -1 = empty slot
export const EDGE_STRIDE = 4;

// Method entry.
export const METHOD_STRING_OFFSET = 0;
export const METHOD_STRING_LENGTH = 1;
export const METHOD_STRIDE = 2;

// Route record: flags word, then H_METHOD_WORDS mask words.
export const ROUTE_FLAGS = 0;
export const ROUTE_MASK_START = 1;
export const ROUTE_FLAG_ANY_METHOD = 1;

export function routeStride(methodWords: number): number {
  return ROUTE_MASK_START + methodWords;
}

export const NO_NODE = -1;
