// A worker's listeners on the loaded uWS build, in this process: a certificate change opens a
// new app beside the old one, the old one serves its open connections and is closed once idle.
import { copyFileSync } from 'node:fs';
import tls from 'node:tls';
import t from 'tap';
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { loadConfigText } from '../../dist/config/load.js';
import type { GatewayConfig } from '../../dist/config/types.js';
import { findFreePort } from '../../dist/supervisor/free-port.js';
import { WorkerListeners, type AppTraffic, type Scheme } from '../../dist/worker/listeners.js';
import { certificateDir, makeCertificate, servedCertificate } from '../helpers/certificates.js';
import { uwsBuild } from '../helpers/uws-build.js';

const GRACE_MS = 300;
const quiet = { info() {}, warn() {}, error() {}, debug() {} };
const dir = certificateDir();
const v1 = makeCertificate(dir, 'v1', { names: ['localhost'] });
const v2 = makeCertificate(dir, 'v2', { names: ['localhost'] });
const other = makeCertificate(dir, 'other', { names: ['other.test'] });
const live = { cert: `${dir}/live.crt`, key: `${dir}/live.key` };

function listenConfig(port: number): GatewayConfig['listen'] {
  const loaded = loadConfigText(`listen:\n  - host: 127.0.0.1\n    port: ${port}\n    tls: { certFile: "${live.cert}", keyFile: "${live.key}" }\n`, 'gw.yaml', {});
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  return loaded.config.listen;
}

/** The edge stand-in: /slow answers after 400 ms, anything else at once; both report their traffic. */
function handlerFor(scheme: Scheme, traffic: AppTraffic): (res: HttpResponse, req: HttpRequest) => void {
  return (res, req) => {
    traffic.started();
    if (req.getUrl() !== '/slow') {
      res.end(scheme);
      traffic.finished();
      return;
    }
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
      traffic.finished();
    });
    setTimeout(() => {
      if (aborted) return;
      res.cork(() => res.end('slow'));
      traffic.finished();
    }, 400);
  };
}

/** One keep-alive TLS connection sending requests one at a time. */
async function keptConnection(port: number): Promise<{ fingerprint256: string; get(path: string): Promise<string>; close(): void }> {
  const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false });
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', resolve);
    socket.once('error', reject);
  });
  let buffered = '';
  let waiting: ((body: string) => void) | null = null;
  socket.on('data', (d: Buffer) => {
    buffered += d.toString('latin1');
    const head = buffered.indexOf('\r\n\r\n');
    const length = /content-length: (\d+)/i.exec(buffered.slice(0, head));
    if (head < 0 || length === null || buffered.length < head + 4 + Number(length[1])) return;
    const body = buffered.slice(head + 4, head + 4 + Number(length[1]));
    buffered = buffered.slice(head + 4 + Number(length[1]));
    waiting?.(body);
  });
  return {
    fingerprint256: socket.getPeerCertificate().fingerprint256,
    get: (path) => new Promise((resolve, reject) => {
      waiting = resolve;
      socket.once('close', () => reject(new Error('connection closed')));
      socket.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\n\r\n`);
    }),
    close: () => socket.destroy(),
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

t.test('a certificate change re-opens the listener; the old app keeps its connections and closes once idle', async (t) => {
  copyFileSync(v1.cert, live.cert);
  copyFileSync(v1.key, live.key);
  const port = await findFreePort('127.0.0.1');
  const listeners = new WorkerListeners(uwsBuild.uws, handlerFor, quiet, undefined, GRACE_MS);
  t.teardown(() => listeners.closeAll());
  listeners.open(listenConfig(port), [port]);
  const kept = await keptConnection(port);
  t.teardown(() => kept.close());
  t.equal(kept.fingerprint256, v1.fingerprint256);
  t.equal(await kept.get('/'), 'https');

  t.same(listeners.update(listenConfig(port)), [], 'the same files: nothing re-opened');
  t.equal(listeners.retiredApps, 0);

  copyFileSync(v2.cert, live.cert);
  copyFileSync(v2.key, live.key);
  const slow = kept.get('/slow');
  const replaced = listeners.update(listenConfig(port));
  t.same(replaced.map((r) => [r.listener, r.certificates.map((c) => c.pair.summary.fingerprint256)]), [[`127.0.0.1:${port}`, [v2.fingerprint256]]]);
  t.equal(listeners.retiredApps, 1, 'the old app is kept for its connections');
  await new Promise((resolve) => setImmediate(resolve));
  t.equal((await servedCertificate(port)).fingerprint256, v2.fingerprint256, 'a new connection gets the new certificate');
  await sleep(GRACE_MS + 100);
  t.equal(listeners.retiredApps, 1, 'not closed while a request runs on it');
  t.equal(await slow, 'slow', 'the request in flight during the change is answered');
  t.equal(await kept.get('/'), 'https', 'the open connection goes on serving');
  kept.close();
  await sleep(GRACE_MS + 200);
  t.equal(listeners.retiredApps, 0, 'closed once idle for the grace period');
  t.equal((await servedCertificate(port)).fingerprint256, v2.fingerprint256, 'the new app serves on');
});

t.test('a certificate that cannot be loaded, or a port that cannot be bound, changes nothing', async (t) => {
  copyFileSync(v1.cert, live.cert);
  copyFileSync(v1.key, live.key);
  const port = await findFreePort('127.0.0.1');
  const listeners = new WorkerListeners(uwsBuild.uws, handlerFor, quiet, undefined, GRACE_MS);
  t.teardown(() => listeners.closeAll());
  const config = listenConfig(port);
  listeners.open(config, [port]);

  copyFileSync(other.key, live.key); // the renewal went wrong: a key that is not the certificate's
  t.throws(() => listeners.update(config), { message: `listener 127.0.0.1:${port}: keyFile ${live.key} is not the private key of certFile ${live.cert} (CN=v1): the files do not belong together` });
  t.equal(listeners.retiredApps, 0);
  t.equal((await servedCertificate(port)).fingerprint256, v1.fingerprint256, 'the running certificate is kept');

  copyFileSync(v1.key, live.key);
  const second = new WorkerListeners(uwsBuild.uws, handlerFor, quiet, undefined, GRACE_MS);
  const busy = listenConfig(port).map((l) => ({ ...l, tls: null }));
  // uWS listens with SO_REUSEPORT, as every worker does: a port held without it (here by Node) is refused.
  const { createServer } = await import('node:net');
  const holder = createServer();
  const held = await new Promise<number>((resolve) => holder.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => resolve((holder.address() as { port: number }).port)));
  t.teardown(() => holder.close());
  t.throws(() => second.open(busy, [held]), { message: `cannot listen on 127.0.0.1:${held} (address in use or not available)` });
});
