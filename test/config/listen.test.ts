// listen: one listener or a list; tls: one certificate or a list picked by SNI. The files are read
// and checked at load (validate, start, reload), with errors at the key's position.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { certificateDir, makeCertificate } from '../helpers/certificates.js';
import { configOf, errorsOf } from './fixtures/load.js';

const dir = certificateDir();
const site = makeCertificate(dir, 'site', { names: ['example.com', 'www.example.com'] });
const api = makeCertificate(dir, 'api', { names: ['api.example.com'] });
/** The 1-based column of `text` in a one-line YAML document. */
const column = (yaml: string, text: string): number => yaml.indexOf(text) + 1;

t.test('the single-mapping forms still load, as a list of one listener with a list of one certificate', async (t) => {
  const config = configOf(t, `listen:\n  port: 8443\n  tls: { certFile: "${site.cert}", keyFile: "${site.key}" }\n`);
  t.equal(config.listen.length, 1);
  const listener = config.listen[0]!;
  t.same([listener.host, listener.port], ['0.0.0.0', 8443]);
  t.equal(listener.tls?.length, 1);
  const entry = listener.tls![0]!;
  t.same([entry.serverName, entry.certFile, entry.keyFile], [null, site.cert, site.key]);
  t.equal(entry.certificate.fingerprint256, site.fingerprint256, 'the certificate read at load is described');
  t.same(entry.certificate.names, ['example.com', 'www.example.com']);
  t.equal(entry.certificate.subject, 'CN=site');
  t.ok(Date.parse(entry.certificate.notAfter) > Date.now());
  t.equal(configOf(t, '{}\n').listen[0]?.tls, null, 'no tls: plain HTTP');
});

t.test('HTTP beside HTTPS with one certificate per server name', async (t) => {
  const config = configOf(t, `
listen:
  - { host: 127.0.0.1, port: 8080 }
  - host: 127.0.0.1
    port: 8443
    tls:
      - { certFile: "${site.cert}", keyFile: "${site.key}" }
      - { serverName: API.Example.com, certFile: "${api.cert}", keyFile: "${api.key}" }
      - { serverName: "*.example.org", certFile: "${site.cert}", keyFile: "${site.key}" }
`);
  t.same(config.listen.map((l) => [l.host, l.port, l.tls?.length ?? 0]), [['127.0.0.1', 8080, 0], ['127.0.0.1', 8443, 3]]);
  t.same(config.listen[1]!.tls!.map((c) => c.serverName), [null, 'api.example.com', '*.example.org'], 'server names are lowercased (SNI is)');
  t.equal(config.listen[1]!.tls![1]!.certificate.fingerprint256, api.fingerprint256);
});

t.test('server names: one default at most, each name once, host names only', async (t) => {
  const errors = errorsOf(t, `
listen:
  tls:
    - { certFile: "${site.cert}", keyFile: "${site.key}" }
    - { certFile: "${api.cert}", keyFile: "${api.key}" }
    - { serverName: a.example.com, certFile: "${api.cert}", keyFile: "${api.key}" }
    - { serverName: A.example.com, certFile: "${site.cert}", keyFile: "${site.key}" }
`);
  t.same(errors, [
    'gw.yaml:5:7 listen.tls.1: only one certificate may leave out serverName (the default one); entry 0 already does',
    'gw.yaml:7:21 listen.tls.3.serverName: serverName a.example.com is listed twice (entries 2 and 3)',
  ]);
  t.same(errorsOf(t, `listen: { tls: [{ serverName: 10.0.0.1, certFile: "${site.cert}", keyFile: "${site.key}" }] }\n`), [
    'gw.yaml:1:31 listen.tls.0.serverName: serverName "10.0.0.1" is an IP address: SNI carries host names only (a client that connects by address sends none and gets the default certificate)',
  ]);
  t.same(errorsOf(t, `listen: { tls: { serverName: "a b", certFile: "${site.cert}", keyFile: "${site.key}" } }\n`), [
    'gw.yaml:1:30 listen.tls.serverName: invalid serverName "a b": use a host name such as api.example.com, or *.example.com for one label under it',
  ]);
});

t.test('a key that is not the certificate\'s, or files that are no PEM certificate or key, are errors at their key', async (t) => {
  t.same(errorsOf(t, `listen:\n  tls:\n    certFile: "${site.cert}"\n    keyFile: "${api.key}"\n`), [
    `gw.yaml:4:14 listen.tls.keyFile: keyFile ${api.key} is not the private key of certFile ${site.cert} (CN=site): the files do not belong together`,
  ]);
  const junk = join(dir, 'junk.pem');
  writeFileSync(junk, 'not a certificate\n');
  const inList = `listen: [{ port: 1 }, { port: 2, tls: [{ serverName: x.example, certFile: "${junk}", keyFile: "${site.key}" }] }]\n`;
  t.same(errorsOf(t, inList), [
    `gw.yaml:1:${column(inList, `"${junk}"`)} listen.1.tls.0.certFile: certFile ${junk} holds no PEM certificate (a "-----BEGIN CERTIFICATE-----" block)`,
  ]);
  const certAsKey = `listen: { tls: { certFile: "${site.cert}", keyFile: "${site.cert}" } }\n`;
  t.same(errorsOf(t, certAsKey).map((e) => e.split(' (')[0]), [
    `gw.yaml:1:${column(certAsKey, `keyFile: "`) + 9} listen.tls.keyFile: keyFile ${site.cert} is not a PEM private key`,
  ]);
  const encrypted = join(dir, 'encrypted.key');
  execFileSync('openssl', ['pkey', '-in', site.key, '-aes256', '-passout', 'pass:secret', '-out', encrypted], { stdio: 'ignore' });
  t.match(errorsOf(t, `listen: { tls: { certFile: "${site.cert}", keyFile: "${encrypted}" } }\n`)[0],
    `listen.tls.keyFile: keyFile ${encrypted} is encrypted: Tollgate takes an unencrypted PEM private key`);
});

t.test('a problem inside a listener of a list is reported at its own key', async (t) => {
  const missing = join(dir, 'missing.crt');
  const sub = join(dir, 'a-directory');
  mkdirSync(sub, { recursive: true });
  t.same(errorsOf(t, `listen:\n  - { port: http }\n  - port: 8443\n    tls:\n      certFile: "${missing}"\n      keyFile: "${sub}"\n    tsl: {}\n`), [
    'gw.yaml:2:13 listen.0.port: expected a number, got the string "http"',
    `gw.yaml:5:17 listen.1.tls.certFile: certFile "${missing}" does not exist`,
    `gw.yaml:6:16 listen.1.tls.keyFile: keyFile "${sub}" is not a regular file`,
    'gw.yaml:7:5 listen.1.tsl: unknown key "tsl" (did you mean "tls"?)',
  ]);
  t.same(errorsOf(t, 'listen: []\n'), ['gw.yaml:1:9 listen: must have at least 1 item']);
  t.same(errorsOf(t, `listen: { tls: { certFile: "${site.cert}" } }\n`), ['gw.yaml:1:16 listen.tls.keyFile: required key is missing']);
});

t.test('each listener has its own port', async (t) => {
  t.same(errorsOf(t, 'listen: [{ port: 8080 }, { host: 127.0.0.1, port: 8080 }]\n'), [
    'gw.yaml:1:51 listen.1.port: port 8080 is already used by listen.0: each listener needs its own port',
  ]);
  t.equal(configOf(t, 'listen: [{ port: 0 }, { port: 0 }]\n').listen.length, 2, 'port 0 twice: two free ports are picked');
});
