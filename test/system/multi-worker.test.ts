// --workers 2: both worker threads share the port and serve new connections, and the admin
// API reports both.
import t from 'tap';
import { configHead, fetchOnNewConnection, fetchText, launch, poll, startUpstreams, type LogLine } from './fixtures/system-fixture.js';

const CONNECTIONS = 40;

t.test('with --workers 2 both workers serve requests over new connections', async (t) => {
  const demo = await startUpstreams(t);
  const yaml = `${configHead(demo)}workers: 1
routes:
  - id: echo
    match: { path: /echo, methods: [GET] }
    upstream: users
`;
  // The flag wins over the file's `workers: 1`.
  const gw = await launch(t, yaml, { workers: 2 });
  t.equal((await gw.waitForLog((l) => l.msg === 'tollgate started')).workers, 2, 'the started line says 2 workers');

  const ready = await fetchText(`${gw.adminUrl}/ready`);
  t.equal(ready.status, 200);
  const workers = ready.json().workers as { index: number; state: string }[];
  t.same(workers.map((w) => [w.index, w.state]), [[0, 'serving'], [1, 'serving']], '/ready lists 2 serving workers');

  const ids = new Set<string>();
  for (let i = 0; i < CONNECTIONS; i++) {
    const id = `multi-worker-${i}`;
    const res = await fetchOnNewConnection(`${gw.url}/echo`, { headers: { 'x-request-id': id } });
    t.equal(res.status, 200);
    ids.add(id);
  }
  // Access lines are written when a request finishes and reach stdout through each worker's own
  // stream, possibly just after the client has its answer.
  const accessLines = (): LogLine[] => gw.logs.filter((l) => l.msg === 'request' && ids.has(String(l.requestId)));
  await poll(() => accessLines().length >= CONNECTIONS, 5_000);
  const access = accessLines();
  t.equal(access.length, CONNECTIONS, 'one access line per request');
  const served = new Map<unknown, number>();
  for (const line of access) served.set(line.worker, (served.get(line.worker) ?? 0) + 1);
  t.same([...served.keys()].sort(), [0, 1], `both workers served (${JSON.stringify([...served])})`);
  t.ok(access.every((l) => l.route === 'echo' && l.status === 200), 'access lines name the route and status');
});
