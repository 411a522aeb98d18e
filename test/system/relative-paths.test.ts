// A gateway started the way systemd starts it: working directory elsewhere, config in its own
// directory naming its certificate and key by relative paths. They are read from beside the config.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { Agent, request } from 'undici';
import { runCli, startGateway, writeConfig } from '../helpers/gateway-process.js';

t.test('relative certFile and keyFile are read from the config directory, whatever the working directory', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'tollgate-relative-'));
  const etc = join(root, 'etc', 'tollgate');
  const workDir = join(root, 'var', 'lib', 'tollgate');
  mkdirSync(join(etc, 'tls'), { recursive: true });
  mkdirSync(workDir, { recursive: true });
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1',
    '-keyout', join(etc, 'tls', 'key.pem'), '-out', join(etc, 'tls', 'cert.pem')], { stdio: 'ignore' });
  const file = writeConfig(`
listen: { host: 127.0.0.1, port: 0, tls: { certFile: tls/cert.pem, keyFile: ./tls/key.pem } }
workers: 1
admin: { host: 127.0.0.1, port: 0 }
routes:
  - { id: status, match: { path: /status }, respond: { json: { ok: true } } }
`, etc);

  const checked = await runCli(['validate', '-c', file], {}, 20_000, workDir);
  t.equal(checked.code, 0, `validate from another directory: ${checked.stderr}`);

  const gw = await startGateway('', { configFile: file, cwd: workDir });
  const agent = new Agent({ connect: { rejectUnauthorized: false } });
  t.teardown(async () => {
    await agent.close();
    await gw.stop();
  });
  const res = await request(`https://127.0.0.1:${gw.port}/status`, { dispatcher: agent });
  t.equal(res.statusCode, 200, 'TLS is served with the certificate beside the config');
  t.same(await res.body.json(), { ok: true });
});

t.test('a missing relative certificate fails the start naming the full path tried', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'tollgate-relative-'));
  const file = writeConfig('listen: { tls: { certFile: tls/cert.pem, keyFile: tls/key.pem } }\n', root);
  const result = await runCli(['start', '-c', file], {}, 20_000, tmpdir());
  t.equal(result.code, 1);
  t.match(result.stderr, `${file}:1:28 listen.tls.certFile: certFile "tls/cert.pem" (${join(root, 'tls', 'cert.pem')}) does not exist`);
  t.match(result.stderr, `keyFile "tls/key.pem" (${join(root, 'tls', 'key.pem')}) does not exist`);
});
