// The dashboard route of config/gateway.yaml (README's aggregation and CORS example) against the
// demo users and orders services.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { parse, stringify } from 'yaml';
import { startDemoUpstreams } from '../../../dist/demo/index.js';
import { startGateway } from '../../helpers/gateway-process.js';
import { fetchText } from '../../helpers/http-reply.js';

t.test('GET /api/dashboard/1 answers the user and their orders in one object', async (t) => {
  const demo = await startDemoUpstreams({ ports: { users: 0, orders: 0, slow: 0, flaky: 0 } });
  t.teardown(() => demo.close());
  const shipped = parse(readFileSync(fileURLToPath(new URL('../../../config/gateway.yaml', import.meta.url)), 'utf8')) as { routes: { id: string }[] };
  const dashboard = shipped.routes.find((r) => r.id === 'dashboard');
  t.ok(dashboard, 'config/gateway.yaml has the dashboard route');
  const gw = await startGateway(stringify({
    listen: { host: '127.0.0.1', port: 0 }, workers: 1, admin: { host: '127.0.0.1', port: 0 }, log: { level: 'error', access: false },
    upstreams: { users: { targets: [`http://127.0.0.1:${demo.ports.users}`] }, orders: { targets: [`http://127.0.0.1:${demo.ports.orders}`] } },
    routes: [dashboard],
  }));
  t.teardown(() => gw.stop());
  const res = await fetchText(`${gw.url}/api/dashboard/1`, { headers: { origin: 'http://localhost:3000' } });
  t.equal(res.status, 200);
  t.same(res.json(), {
    user: { name: 'Ada Lovelace', email: 'ada@example.com' },
    orders: { items: [{ id: 101, total: 15.5, status: 'paid' }, { id: 102, total: 21, status: 'shipped' }] },
  });
  t.equal(res.headers['access-control-allow-origin'], 'http://localhost:3000');
  const pre = await fetchText(`${gw.url}/api/dashboard/1`, { method: 'OPTIONS', headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'GET' } });
  t.equal(pre.status, 204);
  t.equal(pre.headers['access-control-max-age'], '600');
});
