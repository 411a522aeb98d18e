import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import t from 'tap';
import { buildRouteTable } from '../../dist/routing/build-route-table.js';
import type { RouteSpec } from '../../dist/routing/route-spec.js';
import { RouteTable } from '../../dist/routing/route-table.js';

const specs: RouteSpec[] = [
  { path: '/users/:id', methods: ['GET', 'HEAD'], host: null },
  { path: '/users/:id', methods: ['PUT'], host: 'api.test' },
  { path: '/users/me', methods: ['GET'], host: null },
  { path: '/files/*', methods: null, host: null },
  { path: '/', methods: ['GET'], host: null },
];
const requests: [string, string, string][] = [
  ['GET', '', '/users/1'], ['PUT', 'api.test', '/users/2'], ['PUT', '', '/users/2'],
  ['GET', '', '/users/me'], ['DELETE', '', '/files/a/b.txt'], ['GET', '', '/files'],
  ['GET', '', '/'], ['GET', '', '/missing'], ['POST', 'api.test', '/users/9'],
];

t.test('a worker wrapping the same SharedArrayBuffer answers exactly like the main thread', async (t) => {
  const sab = buildRouteTable(specs);
  const table = new RouteTable(sab);
  const expected = requests.map(([method, host, path]) => {
    const params: string[] = [];
    const route = table.lookup(method, host, path, params);
    return { route, params, allowed: table.allowedMethods(host, path) };
  });
  const worker = new Worker(new URL('./fixtures/lookup-worker.mjs', import.meta.url), { workerData: { sab, requests } });
  const timer = setTimeout(() => void worker.terminate(), 10_000);
  try {
    const [reply] = (await once(worker, 'message')) as [{ answers: unknown; routeCount: number }];
    t.equal(reply.routeCount, specs.length);
    t.same(reply.answers, expected);
    t.same(expected.map((e) => e.route), [0, 1, -2, 2, 3, 3, 4, -1, -2], 'the answers themselves are right');
  } finally {
    clearTimeout(timer);
    await worker.terminate();
  }
});
