// A reload (SIGHUP) applies identity changes on every worker: rotated API keys and JWT secrets,
// with no token verified under the old secret accepted from the cache afterwards.
import { writeFileSync } from 'node:fs';
import t from 'tap';
import { Agent, request } from 'undici';
import { startDemoUpstreams } from '../../dist/demo/index.js';
import { startGateway } from '../helpers/gateway-process.js';
import { hmacToken } from './fixtures/tokens.js';

const OLD_KEY = 'old-key-0123456789abcdef';
const NEW_KEY = 'new-key-0123456789abcdef';
const OLD_SECRET = 'old-secret-0123456789abcdef0123456';
const NEW_SECRET = 'new-secret-0123456789abcdef0123456';

t.test('API keys and JWT secrets rotate on reload', async (t) => {
  const demo = await startDemoUpstreams({ host: '127.0.0.1', ports: { users: 0, orders: 0, slow: 0, flaky: 0 } });
  const config = (key: string, secret: string): string => `
listen: { host: 127.0.0.1, port: 0 }
workers: 2
admin: { host: 127.0.0.1, port: 0 }
log: { level: info, access: false }
auth:
  jwt: { main: { secret: "${secret}" } }
  apiKey: {}
consumers:
  acme: { apiKeys: ["${key}"] }
upstreams:
  users: { targets: [http://127.0.0.1:${demo.ports.users}] }
routes:
  - { id: r, match: { path: /r/* }, upstream: users, rewrite: /echo/*, auth: [jwt:main, apiKey] }
`;
  const gw = await startGateway(config(OLD_KEY, OLD_SECRET));
  t.teardown(async () => {
    await gw.stop();
    await demo.close();
  });
  // Several connections, so that both workers answer.
  const agent = new Agent({ connections: 8 });
  t.teardown(() => agent.close());
  const statuses = async (headers: Record<string, string>): Promise<number[]> => Promise.all(Array.from({ length: 16 }, async () => {
    const res = await request(gw.url + '/r/a', { headers, dispatcher: agent });
    await res.body.dump();
    return res.statusCode;
  }));
  const oldToken = hmacToken(OLD_SECRET, { sub: 'old' });
  t.same(new Set(await statuses({ 'x-api-key': OLD_KEY })), new Set([200]));
  t.same(new Set(await statuses({ authorization: `Bearer ${oldToken}` })), new Set([200]), 'the old token is verified and cached');

  writeFileSync(gw.configFile, config(NEW_KEY, NEW_SECRET));
  gw.child.kill('SIGHUP');
  await gw.waitForLog((l) => l.msg === 'config reloaded');
  t.same(new Set(await statuses({ 'x-api-key': OLD_KEY })), new Set([401]), 'the old key is refused on every worker');
  t.same(new Set(await statuses({ 'x-api-key': NEW_KEY })), new Set([200]));
  t.same(new Set(await statuses({ authorization: `Bearer ${oldToken}` })), new Set([401]), 'a cached token of the old secret is refused');
  t.same(new Set(await statuses({ authorization: `Bearer ${hmacToken(NEW_SECRET, { sub: 'new' })}` })), new Set([200]));
});
