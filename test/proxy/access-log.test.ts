import t from 'tap';
import { request } from 'undici';
import { startDemoUpstreams } from '../../dist/demo/index.js';
import { startGateway } from '../helpers/gateway-process.js';

const config = (users: number, log: string) => `
listen: { host: 127.0.0.1, port: 0 }
workers: 1
admin: { host: 127.0.0.1, port: 0 }
log: ${log}
upstreams:
  users: { targets: [http://127.0.0.1:${users}] }
routes:
  - { id: small, match: { path: /small }, upstream: users }
  - { id: missing, match: { path: /status/:code }, upstream: users }
`;

async function send(url: string, paths: string[]): Promise<void> {
  for (const p of paths) {
    const res = await request(url + p);
    await res.body.text();
  }
}

t.test('log.sampling 0 keeps error lines and drops successful ones; level warn still writes access lines', async (t) => {
  const demo = await startDemoUpstreams({ host: '127.0.0.1', ports: { users: 0, orders: 0, slow: 0, flaky: 0 } });
  const gw = await startGateway(config(demo.ports.users, '{ level: warn, access: true, sampling: 0 }'));
  t.teardown(async () => {
    await gw.stop();
    await demo.close();
  });
  await send(gw.url, ['/small', '/small', '/status/503', '/nope']);
  await gw.waitForLog((l) => l.msg === 'request' && l.path === '/nope');
  const lines = gw.logs.filter((l) => l.msg === 'request');
  t.same(lines.map((l) => l.status).sort(), [404, 503], 'only the error answers were logged');
  t.ok(gw.logs.some((l) => l.msg === 'tollgate started'), 'the start line is written at any level');
  t.notOk(gw.logs.some((l) => l.msg === 'worker drained'), 'info chatter is quiet at level warn');
});

t.test('log.access false writes no access lines', async (t) => {
  const demo = await startDemoUpstreams({ host: '127.0.0.1', ports: { users: 0, orders: 0, slow: 0, flaky: 0 } });
  const gw = await startGateway(config(demo.ports.users, '{ level: info, access: false }'));
  t.teardown(async () => {
    await demo.close();
  });
  await send(gw.url, ['/small', '/nope']);
  await gw.stop();
  t.equal(gw.logs.filter((l) => l.msg === 'request').length, 0);
  t.ok(gw.logs.some((l) => l.msg === 'worker drained'), 'other info lines are still written');
});
