import t from 'tap';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { startGateway } from '../helpers/gateway-process.js';
import { weightedSchedule } from '../../dist/upstream/balancer.js';

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
