import t from 'tap';
import { buildRouteTable } from '../../dist/routing/build-route-table.js';
import * as L from '../../dist/shm/route-table-layout.js';

const sab = buildRouteTable([
  { path: '/users/:id', methods: ['GET', 'HEAD'], host: null },
  { path: '/users/me', methods: ['GET'], host: null },
  { path: '/files/*', methods: null, host: 'a.test' },
  { path: '/', methods: ['POST'], host: 'b.test' },
]);
const w = new Int32Array(sab);

t.test('the header carries magic, version, byte length and the counts', async (t) => {
  t.equal(w[L.H_MAGIC], L.ROUTE_TABLE_MAGIC);
  t.equal(w[L.H_VERSION], L.ROUTE_TABLE_VERSION);
  t.equal(w[L.H_BYTE_LENGTH], sab.byteLength);
  t.equal(w[L.H_ROUTE_COUNT], 4);
  t.equal(w[L.H_METHOD_COUNT], 3, 'GET, HEAD, POST');
  t.equal(w[L.H_METHOD_WORDS], 1);
  t.equal(w[L.H_MAX_CAPTURES], 1);
  t.equal(w[L.H_ANY_HOST_ROOT], 0);
  t.equal(w[L.H_HOST_SLOTS], 4, 'two hosts, table kept at most half full');
  // any-host: root, users, :id, me; a.test: root, files; b.test: root, '' (the `/` route)
  t.equal(w[L.H_NODE_COUNT], 8);
});

t.test('regions follow each other in order and end inside the buffer', async (t) => {
  const starts = [L.H_NODES_OFFSET, L.H_EDGES_OFFSET, L.H_HOSTS_OFFSET, L.H_METHODS_OFFSET, L.H_ROUTES_OFFSET, L.H_ROUTE_LISTS_OFFSET]
    .map((slot) => w[slot] as number);
  t.equal(starts[0], L.HEADER_WORDS);
  for (let i = 1; i < starts.length; i++) t.ok((starts[i] as number) >= (starts[i - 1] as number), `region ${i} after region ${i - 1}`);
  t.equal(w[L.H_EDGES_OFFSET], L.HEADER_WORDS + (w[L.H_NODE_COUNT] as number) * L.NODE_STRIDE);
  t.equal(w[L.H_STRINGS_BYTE_OFFSET], ((w[L.H_ROUTE_LISTS_OFFSET] as number) + (w[L.H_ROUTE_LISTS_LENGTH] as number)) * 4);
  t.ok((w[L.H_STRINGS_BYTE_OFFSET] as number) + (w[L.H_STRINGS_BYTE_LENGTH] as number) <= sab.byteLength);
});

t.test('every node references valid slots, children and route lists', async (t) => {
  const nodes = w[L.H_NODE_COUNT] as number;
  const lists = w[L.H_ROUTE_LISTS_OFFSET] as number;
  const listEnd = lists + (w[L.H_ROUTE_LISTS_LENGTH] as number);
  let usedSlots = 0;
  for (let n = 0; n < nodes; n++) {
    const at = (w[L.H_NODES_OFFSET] as number) + n * L.NODE_STRIDE;
    const mask = w[at + L.NODE_EDGES_MASK] as number;
    const param = w[at + L.NODE_PARAM_CHILD] as number;
    t.ok(param === L.NO_NODE || (param > 0 && param < nodes), `node ${n} param child`);
    for (const [start, count] of [[L.NODE_ROUTES_START, L.NODE_ROUTES_COUNT], [L.NODE_WILDCARD_START, L.NODE_WILDCARD_COUNT]] as const) {
      const from = w[at + start] as number;
      t.ok(from >= lists && from + (w[at + count] as number) <= listEnd, `node ${n} route list in range`);
    }
    if (mask < 0) continue;
    let filled = 0;
    for (let i = 0; i <= mask; i++) {
      const slot = (w[L.H_EDGES_OFFSET] as number) + ((w[at + L.NODE_EDGES_START] as number) + i) * L.EDGE_STRIDE;
      if ((w[slot + L.EDGE_CHILD] as number) >= 0) filled++;
    }
    t.ok(filled > 0 && filled * 2 <= mask + 1, `node ${n}: ${filled} children in ${mask + 1} slots`);
    usedSlots += mask + 1;
  }
  t.equal(usedSlots, w[L.H_EDGE_SLOTS], 'edge tables tile the edge region');
});
