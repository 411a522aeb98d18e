import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { startDemoUpstreams } from '../../dist/demo/index.js';
import { startGateway } from '../helpers/gateway-process.js';

t.test('listen.tls terminates TLS and forwards X-Forwarded-Proto: https', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-tls-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost',
    '-days', '1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  const demo = await startDemoUpstreams({ host: '127.0.0.1', ports: { users: 0, orders: 0, slow: 0, flaky: 0 } });
  const gw = await startGateway(`
listen: { host: 127.0.0.1, port: 0, tls: { certFile: '${cert}', keyFile: '${key}' } }
workers: 1
admin: { host: 127.0.0.1, port: 0 }
upstreams:
  users: { targets: [http://127.0.0.1:${demo.ports.users}] }
routes:
  - { id: echo, match: { path: /echo }, upstream: users }
`);
  const agent = new Agent({ connect: { rejectUnauthorized: false } });
  t.teardown(async () => {
    await agent.close();
    await gw.stop();
    await demo.close();
  });
  const res = await request(`https://127.0.0.1:${gw.port}/echo`, { dispatcher: agent });
  t.equal(res.statusCode, 200);
  const body = await res.body.json() as { headers: Record<string, string> };
  t.equal(body.headers['x-forwarded-proto'], 'https');
  await t.rejects(request(`http://127.0.0.1:${gw.port}/echo`, { headersTimeout: 2_000 }).then((r) => r.body.text()),
    'plain HTTP is not served on a TLS listener');
});
