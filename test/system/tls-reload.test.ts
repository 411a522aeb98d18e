// Certificates on SIGHUP (a certbot deploy hook runs `systemctl reload tollgate`): the files named
// by listen.tls are re-read, new connections get the new certificates while open connections and
// requests in flight carry on, and a reload that needs a restart or names broken files is refused
// at the key's position with the running certificates kept.
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { Client } from 'undici';
import type { DemoUpstreams } from '../../dist/demo/index.js';
import { certificateDir, installCertificate, makeCertificate, servedCertificate, type TestCertificate } from '../helpers/certificates.js';
import type { GatewayProcess } from '../helpers/gateway-process.js';
import { failuresOf, startLoad } from './fixtures/load-loop.js';
import { launch, poll, startUpstreams, waitForLogSince, type LogLine } from './fixtures/system-fixture.js';

const SWAPS = 3;

/** The files the config names; each renewal is copied over them. */
interface Installed {
  dir: string;
  site: { cert: string; key: string };
  api: { cert: string; key: string };
}

function installed(): Installed {
  const dir = certificateDir();
  return {
    dir,
    site: { cert: join(dir, 'site.crt'), key: join(dir, 'site.key') },
    api: { cert: join(dir, 'api.crt'), key: join(dir, 'api.key') },
  };
}

/** One HTTPS listener with a default certificate and one for api.test; /hot says its generation. */
function configFor(demo: DemoUpstreams, files: Installed, gen: number, listen = ''): string {
  return `listen:
  - host: 127.0.0.1
    port: 0
    tls:
      - { certFile: site.crt, keyFile: site.key }
      - { serverName: api.test, certFile: api.crt, keyFile: api.key }
${listen}admin: { host: 127.0.0.1, port: 0 }
log: { access: false }
upstreams:
  slow: { targets: [http://127.0.0.1:${demo.ports.slow}] }
routes:
  - { id: hot, match: { path: /hot }, respond: { json: { gen: ${gen} } } }
  - { id: slow, match: { path: /slow }, upstream: slow }
`;
}

async function hup(gw: GatewayProcess): Promise<{ result: LogLine; certificates: LogLine | null }> {
  const from = gw.logs.length;
  gw.child.kill('SIGHUP');
  const result = await waitForLogSince(gw, from, (l) => l.msg === 'config reloaded' || String(l.msg).startsWith('config reload rejected'));
  const certificates = result.msg === 'config reloaded' ? await waitForLogSince(gw, from, (l) => l.msg === 'TLS certificates re-read') : null;
  return { result, certificates };
}

function renew(files: Installed, n: number): { site: TestCertificate; api: TestCertificate } {
  const site = makeCertificate(files.dir, `site-${n}`, { names: ['localhost'] });
  const api = makeCertificate(files.dir, `api-${n}`, { names: ['api.test'] });
  installCertificate(site, files.site);
  installCertificate(api, files.api);
  return { site, api };
}

t.test('renewed certificates and SIGHUP: new connections get them; open connections and requests in flight carry on', async (t) => {
  const demo = await startUpstreams(t);
  const files = installed();
  let current = renew(files, 0);
  const configFile = join(files.dir, 'gateway.yaml');
  writeFileSync(configFile, configFor(demo, files, 0));
  const gw = await launch(t, '', { workers: 2, configFile });
  const started = await gw.waitForLog((l) => l.msg === 'TLS certificates loaded');
  t.same((started.certificates as LogLine[]).map((c) => [c.serverName, c.default, c.fingerprint256]),
    [[null, true, current.site.fingerprint256], ['api.test', false, current.api.fingerprint256]], 'the start says which certificate each name serves');
  t.equal((await servedCertificate(gw.port)).fingerprint256, current.site.fingerprint256);
  t.equal((await servedCertificate(gw.port, 'api.test')).fingerprint256, current.api.fingerprint256);

  // A keep-alive connection opened before the renewals, on the api.test certificate.
  const kept = new Client(`https://127.0.0.1:${gw.port}`, { connect: { rejectUnauthorized: false, servername: 'api.test' }, pipelining: 1 });
  let connections = 0;
  kept.on('connect', () => connections++);
  t.teardown(() => kept.close());
  const ask = async (client: Client, path: string): Promise<{ status: number; body: string }> => {
    const res = await client.request({ path, method: 'GET' });
    return { status: res.statusCode, body: await res.body.text() };
  };
  t.same(await ask(kept, '/hot'), { status: 200, body: '{"gen":0}' });

  // Keep-alive traffic on both certificates' connections through every renewal: none may fail.
  const load = startLoad({ url: `https://127.0.0.1:${gw.port}/hot`, concurrency: 4, maxRequests: 20_000, maxMs: 30_000, insecureTls: true, pauseMs: 2 });
  t.teardown(() => load.stop());
  await poll(() => load.finished() >= 50, 5_000);
  for (let n = 1; n <= SWAPS; n++) {
    // A request in flight on the kept connection while its certificate is replaced.
    const inFlight = ask(kept, '/slow?ms=800');
    const previous = current;
    current = renew(files, n);
    writeFileSync(configFile, configFor(demo, files, n));
    const { result, certificates } = await hup(gw);
    t.equal(result.msg, 'config reloaded', `reload ${n} applied`);
    t.same((certificates?.certificates as LogLine[]).map((c) => [c.listener, c.serverName, c.fingerprint256, c.changed]), [
      [`127.0.0.1:${gw.port}`, null, current.site.fingerprint256, true],
      [`127.0.0.1:${gw.port}`, 'api.test', current.api.fingerprint256, true],
    ], 'the reload says which listener and name got which certificate');
    t.ok((certificates?.certificates as LogLine[]).every((c) => typeof c.notAfter === 'string' && c.expired === false), 'with its expiry');
    t.equal((await servedCertificate(gw.port)).fingerprint256, current.site.fingerprint256, `renewal ${n}: a new connection without SNI gets the new default certificate`);
    t.equal((await servedCertificate(gw.port, 'api.test')).fingerprint256, current.api.fingerprint256, `renewal ${n}: and api.test its new one`);
    t.not(current.site.fingerprint256, previous.site.fingerprint256);
    t.same(await inFlight, { status: 200, body: '{"waited":800}' }, 'the request in flight during the swap is answered');
    t.same(await ask(kept, '/hot'), { status: 200, body: `{"gen":${n}}` }, 'the connection opened before serves the new routes');
  }
  t.equal(connections, 1, 'all on the one connection opened before the first renewal');
  load.stop();
  const outcomes = await load.done;
  t.ok(outcomes.length >= 100, `${outcomes.length} requests during the renewals`);
  t.same(failuresOf(outcomes), [], 'no request on an open connection failed');

  // The same files again: nothing to change.
  const { certificates } = await hup(gw);
  t.equal(certificates?.changed, 0, 'a reload with the same files changes no certificate');
});

t.test('a reload that needs a restart, or names a key that is not its certificate\'s, is refused at the key and the running certificates keep serving', async (t) => {
  const demo = await startUpstreams(t);
  const files = installed();
  const first = renew(files, 0);
  const configFile = join(files.dir, 'gateway.yaml');
  writeFileSync(configFile, configFor(demo, files, 0));
  const gw = await launch(t, '', { workers: 1, configFile });
  const advice = 'reload refused, the running config keeps serving; restart Tollgate to apply it (systemctl restart tollgate)';

  writeFileSync(configFile, configFor(demo, files, 1, '  - { host: 127.0.0.1, port: 0 }\n'));
  let { result } = await hup(gw);
  t.match(result.msg, /config reload rejected/);
  t.same(result.errors, [`${configFile}:7:5 listen.1: a new listener (127.0.0.1:0) needs a restart: ${advice}`], 'adding a listener');

  writeFileSync(configFile, configFor(demo, files, 1).replace(/    tls:\n.*\n.*\n/, ''));
  ({ result } = await hup(gw));
  t.same(result.errors, [`${configFile}:2:5 listen.0: switching listener 127.0.0.1:${gw.port} from HTTPS to HTTP needs a restart: ${advice}`], 'dropping TLS from a listener');

  writeFileSync(configFile, configFor(demo, files, 1).replace('port: 0', `port: ${gw.port + 1}`));
  ({ result } = await hup(gw));
  t.same(result.errors, [`${configFile}:3:5 listen.0.port: changing the port of listener 127.0.0.1:${gw.port} to ${gw.port + 1} needs a restart: ${advice}`], 'moving a listener');

  // A renewal that went wrong: the new certificate with an old key.
  const next = makeCertificate(files.dir, 'site-next', { names: ['localhost'] });
  copyFileSync(next.cert, files.site.cert);
  writeFileSync(configFile, configFor(demo, files, 1));
  ({ result } = await hup(gw));
  t.same(result.errors, [`${configFile}:5:40 listen.0.tls.0.keyFile: keyFile ${files.site.key} is not the private key of certFile ${files.site.cert} (CN=site-next): the files do not belong together`],
    'a certificate and key that do not belong together');

  t.equal((await servedCertificate(gw.port)).fingerprint256, first.site.fingerprint256, 'the running certificate is still served');
  const agentless = new Client(`https://127.0.0.1:${gw.port}`, { connect: { rejectUnauthorized: false } });
  t.teardown(() => agentless.close());
  const res = await agentless.request({ path: '/hot', method: 'GET' });
  t.equal(await res.body.text(), '{"gen":0}', 'and the running routes');
});
