// Several listeners and SNI: HTTP beside HTTPS on one gateway, the routes shared by both and
// X-Forwarded-Proto per listener; on the HTTPS one, a certificate per server name.
import t from 'tap';
import { Agent, request } from 'undici';
import { startDemoUpstreams } from '../../dist/demo/index.js';
import { certificateDir, makeCertificate, servedCertificate } from '../helpers/certificates.js';
import { startGateway } from '../helpers/gateway-process.js';

const dir = certificateDir();
const site = makeCertificate(dir, 'site', { names: ['localhost'] });
const api = makeCertificate(dir, 'api', { names: ['api.test'] });
const wild = makeCertificate(dir, 'wild', { names: ['*.wild.test'] });

t.test('HTTP beside HTTPS with SNI: both answer the same routes, each with its own scheme and certificates', async (t) => {
  const demo = await startDemoUpstreams({ host: '127.0.0.1', ports: { users: 0, orders: 0, slow: 0, flaky: 0 } });
  const gw = await startGateway(`
listen:
  - { host: 127.0.0.1, port: 0 }
  - host: 127.0.0.1
    port: 0
    tls:
      - { serverName: api.test, certFile: '${api.cert}', keyFile: '${api.key}' }
      - { certFile: '${site.cert}', keyFile: '${site.key}' }
      - { serverName: '*.wild.test', certFile: '${wild.cert}', keyFile: '${wild.key}' }
workers: 2
admin: { host: 127.0.0.1, port: 0 }
log: { level: warn, access: false }
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
  t.same(gw.listeners.map((l) => l.tls), [false, true], 'the started line lists both listeners');
  const [plain, secure] = gw.listeners.map((l) => l.port);
  t.not(plain, secure);

  const overHttp = await request(`http://127.0.0.1:${plain}/echo`);
  t.equal(overHttp.statusCode, 200);
  t.equal((await overHttp.body.json() as { headers: Record<string, string> }).headers['x-forwarded-proto'], 'http', 'the HTTP listener forwards http');
  const overHttps = await request(`https://127.0.0.1:${secure}/echo`, { dispatcher: agent });
  t.equal(overHttps.statusCode, 200);
  t.equal((await overHttps.body.json() as { headers: Record<string, string> }).headers['x-forwarded-proto'], 'https', 'the HTTPS listener forwards https');

  t.equal((await servedCertificate(secure!, 'api.test')).fingerprint256, api.fingerprint256, 'a listed name gets its certificate');
  t.equal((await servedCertificate(secure!, 'x.wild.test')).fingerprint256, wild.fingerprint256, '*.wild.test covers one label under it');
  t.equal((await servedCertificate(secure!, 'a.b.wild.test')).fingerprint256, site.fingerprint256, 'but not two');
  t.equal((await servedCertificate(secure!, 'unknown.test')).fingerprint256, site.fingerprint256, 'a name no entry lists gets the default (the entry without serverName)');
  t.equal((await servedCertificate(secure!)).fingerprint256, site.fingerprint256, 'no SNI at all (a client that connects by address) gets the default');
  // uWS compares the name as sent: clients send host names lowercased (browsers, curl, Node).
  t.equal((await servedCertificate(secure!, 'API.TEST')).fingerprint256, site.fingerprint256, 'a name sent in capitals is not matched');

  // Requests on a connection that chose a server name are routed like every other (uWS keeps a
  // router per server name: the edge is registered under each).
  const sniAgent = new Agent({ connect: { rejectUnauthorized: false, servername: 'api.test' } });
  t.teardown(() => sniAgent.close());
  const viaName = await request(`https://127.0.0.1:${secure}/echo`, { dispatcher: sniAgent });
  t.equal(viaName.statusCode, 200, 'a request over the api.test certificate is routed');
  t.equal((await viaName.body.json() as { headers: Record<string, string> }).headers['x-forwarded-proto'], 'https');
  const unrouted = await request(`https://127.0.0.1:${secure}/nope`, { dispatcher: sniAgent });
  t.equal(unrouted.statusCode, 404, 'and unmatched paths get the gateway\'s own 404 there too');
  t.equal(unrouted.headers['content-type'], 'application/problem+json');
  await unrouted.body.dump();
});
