import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { loadConfigFile, formatConfigError } from '../../dist/config/load.js';
import { makeCertificate } from '../helpers/certificates.js';

const EXAMPLES = fileURLToPath(new URL('../../config/examples/', import.meta.url));
const files = readdirSync(EXAMPLES).filter((name) => name.endsWith('.yaml'));

/** What the examples expect around them: a certificate and key in tls/, the admin token, JWT secret and API key in the environment. */
function installed(): { dir: string; env: NodeJS.ProcessEnv } {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-examples-'));
  cpSync(EXAMPLES, dir, { recursive: true });
  mkdirSync(join(dir, 'tls'));
  makeCertificate(join(dir, 'tls'), 'site', { names: ['www.example.com'] });
  makeCertificate(join(dir, 'tls'), 'api', { names: ['api.example.com'] });
  return { dir, env: { TOLLGATE_ADMIN_TOKEN: 'example-token', JWT_SECRET: 'example-secret-0123456789abcdef0123', ACME_API_KEY: 'example-key-0123456789' } };
}

t.test('the sample configs load and point editors at the schema', async (t) => {
  const { dir, env } = installed();
  t.ok(files.length >= 6, 'there are sample configs');
  for (const name of files) {
    const result = loadConfigFile(join(dir, name), env);
    t.equal(result.ok, true, `${name}: ${result.ok ? 'ok' : result.errors.map(formatConfigError).join('; ')}`);
    t.equal(readFileSync(EXAMPLES + name, 'utf8').split('\n')[0], '# yaml-language-server: $schema=../tollgate.schema.json', `${name} names the schema`);
  }
});

t.test('the examples operators ask for show what they say', async (t) => {
  const { dir, env } = installed();
  const load = (name: string) => {
    const result = loadConfigFile(join(dir, name), env);
    if (!result.ok) throw new Error(result.errors.map(formatConfigError).join('\n'));
    return result.config;
  };
  const tls = load('tls-termination.yaml');
  const https = tls.listen[0]!;
  t.same(https.tls?.map((c) => [c.certFile, c.keyFile]), [[join(dir, 'tls', 'site.crt'), join(dir, 'tls', 'site.key')]], 'TLS files beside the config');
  t.equal(https.port, 443);

  const both = load('http-and-https.yaml');
  t.same(both.listen.map((l) => [l.port, l.tls?.map((c) => c.serverName) ?? null]), [[80, null], [443, [null, 'api.example.com']]],
    'HTTP beside HTTPS, a default certificate and one for api.example.com');
  t.same(both.listen[1]!.tls![1]!.certificate.names, ['api.example.com']);

  const hosts = load('virtual-hosts.yaml');
  t.same(hosts.routes.map((r) => r.match.host), ['api.example.com', 'shop.example.com', 'www.shop.example.com', 'api.example.com', null]);

  const several = load('several-targets.yaml');
  t.same(several.upstreams['orders']?.targets.map((x) => x.weight), [1, 1, 2]);

  const resilient = load('resilient-upstreams.yaml');
  t.match(resilient.upstreams['users'], { balance: 'least-requests', healthCheck: { path: '/health' }, retry: { attempts: 2 }, circuitBreaker: { errorRate: 0.5 } });
  t.match(resilient.upstreams['orders'], { targets: [], discover: { dns: '_orders._tcp.service.consul', port: null, resolver: '127.0.0.1:8600' } });

  const lb = load('behind-load-balancer.yaml');
  t.same(lb.trustedProxies, ['10.0.0.0/16']);
  t.equal(lb.admin.token, 'example-token', 'the admin token comes from the environment');
  t.ok(lb.log.accessFields.includes('forwardedFor'), 'the client address as the balancer saw it is logged');
  const auth = load('auth.yaml');
  t.same(auth.routes.map((r) => r.auth), [['jwt:main', 'apiKey'], ['jwt:main'], ['jwt:main', 'apiKey'], null], 'auth.yaml: protected routes and a public one');
  t.equal(auth.auth.jwt['main']?.secret, 'example-secret-0123456789abcdef0123', 'the JWT secret comes from the environment');
  t.same(auth.consumers['acme']?.apiKeys, ['example-key-0123456789'], 'and so does the API key');
  const unset = loadConfigFile(join(dir, 'behind-load-balancer.yaml'), {});
  t.equal(unset.ok, false, 'without TOLLGATE_ADMIN_TOKEN the admin API on 0.0.0.0 is refused');
});
