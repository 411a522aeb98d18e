import t from 'tap';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { startGateway } from '../helpers/gateway-process.js';
import { writeFileSync } from 'node:fs';
import { weightedSchedule } from '../../dist/upstream/balancer.js';
import { startFailingUpstream, type FailingUpstream } from '../helpers/failing-upstream.js';
import { freshRequest } from '../helpers/fresh-request.js';

t.test('smooth weighted round-robin spreads picks in proportion, without bursts', async (t) => {
  t.same(weightedSchedule([1, 2]), [1, 0, 1]);
  t.same(weightedSchedule([1, 1, 1]), [0, 1, 2]);
  const s = weightedSchedule([5, 1, 1]);
  t.equal(s.length, 7);
  t.equal(s.filter((i) => i === 0).length, 5);
  t.not(s.slice(0, 3).join(), '0,0,0', 'the heavy target is interleaved, not served in a burst');
});

t.test('the gateway spreads requests over targets by weight', async (t) => {
  const servers = await Promise.all(['a', 'b'].map((name) => new Promise<http.Server>((resolve) => {
    const srv = http.createServer((_req, res) => res.end(name));
    srv.listen(0, '127.0.0.1', () => resolve(srv));
  })));
  const [a, b] = servers.map((s) => (s.address() as AddressInfo).port);
  const gw = await startGateway(`
listen: { host: 127.0.0.1, port: 0 }
workers: 1
admin: { host: 127.0.0.1, port: 0 }
log: { access: false }
upstreams:
  two: { targets: [http://127.0.0.1:${a}, { url: 'http://127.0.0.1:${b}', weight: 2 }] }
routes:
  - { id: two, match: { path: /who }, upstream: two }
`);
  t.teardown(async () => {
    await gw.stop();
    for (const s of servers) {
      s.closeAllConnections();
      s.close();
    }
  });
  const counts: Record<string, number> = { a: 0, b: 0 };
  for (let i = 0; i < 30; i++) {
    const res = await request(gw.url + '/who');
    counts[await res.body.text()]!++;
  }
  t.same(counts, { a: 10, b: 20 });
});

t.test('least-requests counts requests in flight across every worker', async (t) => {
  const [a, b] = await Promise.all([startFailingUpstream('a'), startFailingUpstream('b')]);
  a.behaviour = { kind: 'hang' };
  const gw = await startGateway(`
listen: { host: 127.0.0.1, port: 0 }
workers: 4
admin: { host: 127.0.0.1, port: 0 }
log: { level: warn, access: false }
upstreams:
  two: { targets: ['${a.url}', '${b.url}'], balance: least-requests }
routes:
  - { id: two, match: { path: /who }, upstream: two }
`, { env: { TOLLGATE_FAULT_INJECTION: '1' } }); // answers name their worker
  t.teardown(async () => {
    await gw.stop();
    await Promise.all([a.close(), b.close()]);
  });
  // Each request on a connection of its own, so they spread over the four workers. A request that
  // lands on a hangs there; once one does, every worker sees a busier than the idle b.
  const hanging: Promise<unknown>[] = [];
  const workers = new Set<string>();
  let answered = 0;
  for (let i = 0; i < 24; i++) {
    const reply = freshRequest(gw.url + '/who');
    const settled = await Promise.race([reply, new Promise((r) => setTimeout(() => r(null), 150))]);
    if (settled === null) hanging.push(reply.catch(() => {}));
    else {
      answered++;
      workers.add(String((settled as { headers: Record<string, unknown> }).headers['x-tollgate-worker']));
    }
  }
  t.ok(workers.size >= 3, `the requests reached ${workers.size} of 4 workers`);
  t.equal(a.held(), 1, 'a holds one request: no worker sent it a second while it was busier than b');
  t.equal(answered, 23, 'b answered every other request');
  const states = JSON.parse((await freshRequest(gw.adminUrl + '/upstreams')).text) as { targets: { url: string; inFlight: number }[] }[];
  t.same(states[0]!.targets.map((x) => [x.url, x.inFlight]), [[a.url, 1], [b.url, 0]], 'admin /upstreams shows the shared in-flight counts');
  a.releaseHeld();
  await Promise.all(hanging);
});

t.test('consistent-hash keeps a key on its target across workers, and a removed target moves only its keys', async (t) => {
  const ups = await Promise.all(['a', 'b', 'c'].map((n) => startFailingUpstream(n)));
  const yaml = (targets: FailingUpstream[]) => `
listen: { host: 127.0.0.1, port: 0 }
workers: 2
admin: { host: 127.0.0.1, port: 0 }
log: { level: warn, access: false }
upstreams:
  three: { targets: [${targets.map((u) => `'${u.url}'`).join(', ')}], balance: consistent-hash, hashOn: 'header:x-user' }
routes:
  - { id: three, match: { path: /who }, upstream: three }
`;
  const gw = await startGateway(yaml(ups));
  t.teardown(async () => {
    await gw.stop();
    await Promise.all(ups.map((u) => u.close()));
  });
  const users = Array.from({ length: 60 }, (_, i) => `user-${i}`);
  const ownerOf = async (user: string) => (await freshRequest(gw.url + '/who', { headers: { 'x-user': user } })).text;
  const first = new Map<string, string>();
  for (const u of users) first.set(u, await ownerOf(u));
  t.same(new Set(first.values()), new Set(['a', 'b', 'c']), 'the keys spread over the three targets');
  let same = 0;
  for (const u of users) if ((await ownerOf(u)) === first.get(u)) same++;
  t.equal(same, users.length, 'every key comes back to its target, whichever worker takes it');

  writeFileSync(gw.configFile, yaml([ups[0]!, ups[1]!]));
  const reload = JSON.parse((await freshRequest(gw.adminUrl + '/reload', { method: 'POST' })).text) as { reloaded: boolean };
  t.ok(reload.reloaded, 'c removed by a reload');
  let stayed = 0;
  let others = 0;
  let onC = 0;
  for (const u of users) {
    const now = await ownerOf(u);
    if (now === 'c') onC++;
    if (first.get(u) === 'c') continue;
    others++;
    if (now === first.get(u)) stayed++;
  }
  t.equal(onC, 0, 'no key goes to the removed target');
  t.ok(stayed / others >= 0.9, `${stayed} of the ${others} keys of a and b stayed where they were (at least 90%)`);
});
