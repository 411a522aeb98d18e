// The plugins shipped in examples/plugins/, each run through a real gateway: tenant routing (by
// header and by JWT claim), HMAC signing checked by the upstream with node:crypto, the mobile
// "backend for frontend" and the function route. And a TypeScript plugin is type-checked
// against the published declarations (tollgate/plugin).
import { spawnSync } from 'node:child_process';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SignJWT } from 'jose';
import t from 'tap';
import { startGateway } from '../../helpers/gateway-process.js';
import { fetchText } from '../../helpers/http-reply.js';
import { serveOnLoopback } from '../../helpers/listen.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const example = (name: string): string => join(ROOT, 'examples/plugins', name);
const SECRET = 'a-secret-shared-with-the-upstream';
const JWT_SECRET = 'jwt-secret-of-at-least-thirty-two-bytes!';

/** What the example's signature covers; the upstream recomputes it the way a service would. */
function signatureValid(req: http.IncomingMessage, body: Buffer): boolean {
  const timestamp = String(req.headers['x-signature-timestamp'] ?? '');
  const given = Buffer.from(String(req.headers['x-signature'] ?? ''));
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 60) return false;
  const bodyHash = createHash('sha256').update(body).digest('hex');
  const expected = Buffer.from(`v1=${createHmac('sha256', SECRET).update(`${timestamp}\n${req.method}\n${req.url}\n${bodyHash}`).digest('hex')}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

t.test('example plugins', async (t) => {
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      const body = Buffer.concat(parts);
      if (req.url!.startsWith('/signed') && !signatureValid(req, body)) {
        res.writeHead(401, { 'content-type': 'text/plain' }).end('bad signature');
        return;
      }
      const answer = req.url === '/users'
        ? { users: [{ id: 1, name: 'Ada', email: 'ada@example.com' }, { id: 2, name: 'Alan', email: 'alan@example.com' }], page: 1 }
        : { url: req.url, method: req.method, tenant: req.headers['x-tenant-id'] ?? null, body: body.toString() };
      res.writeHead(200, { 'content-type': 'application/json', server: 'upstream/1.0' }).end(JSON.stringify(answer));
    });
  });
  const port = await serveOnLoopback(t, server);
  const gw = await startGateway(`
listen: { host: 127.0.0.1, port: 0 }
workers: 1
admin: { host: 127.0.0.1, port: 0 }
log: { level: warn, access: false }
upstreams:
  app: { targets: ['http://127.0.0.1:${port}'] }
auth:
  jwt:
    users: { secret: '${JWT_SECRET}', consumerClaim: org }
plugins:
  tenants: { module: '${example('tenant-routing.js')}', options: { tenants: { acme: /acme, globex: /globex/v2 } } }
  tenantsByClaim: { module: '${example('tenant-routing.js')}', options: { tenants: { acme: /acme }, fromConsumer: true } }
  sign: { module: '${example('hmac-signing.js')}', options: { secret: '${SECRET}' } }
  bff: { module: '${example('mobile-bff.js')}', options: { fields: [id, name], list: users, rename: { name: displayName } } }
  quote: { module: '${example('quote-function.js')}', options: { taxRate: 0.1 } }
routes:
  - { id: tenant, match: { path: /t/* }, upstream: app, plugins: [tenants] }
  - { id: tenant-jwt, match: { path: /jt/* }, upstream: app, auth: ['jwt:users'], plugins: [tenantsByClaim] }
  - { id: signed, match: { path: /signed/* }, upstream: app, plugins: [sign] }
  - { id: unsigned, match: { path: /unsigned/* }, upstream: app, rewrite: /signed/* }
  - { id: mobile, match: { path: /mobile/users }, upstream: app, rewrite: /users, plugins: [bff] }
  - { id: quote, match: { path: /quote }, respond: { plugin: quote } }
`);
  t.teardown(() => gw.stop());

  await t.test('tenant routing by header', async (t) => {
    const acme = await fetchText(`${gw.url}/t/orders/7?x=1`, { headers: { 'x-tenant': 'acme' } });
    t.same(acme.json(), { url: '/acme/orders/7?x=1', method: 'GET', tenant: 'acme', body: '' });
    t.equal((await fetchText(`${gw.url}/t/orders`, { headers: { 'x-tenant': 'globex' } })).json().url, '/globex/v2/orders');
    const unknown = await fetchText(`${gw.url}/t/orders`, { headers: { 'x-tenant': 'initech' } });
    t.equal(unknown.status, 403);
    t.same(unknown.json(), { error: 'unknown tenant', tenant: 'initech' });
    t.equal((await fetchText(`${gw.url}/t/orders`)).status, 403, 'no tenant header');
  });

  await t.test('tenant routing by a claim of the verified JWT (the provider\'s consumerClaim)', async (t) => {
    const token = (org: string) => new SignJWT({ org }).setProtectedHeader({ alg: 'HS256' }).setSubject('u1').setExpirationTime('5m').sign(Buffer.from(JWT_SECRET));
    const ok = await fetchText(`${gw.url}/jt/reports`, { headers: { authorization: `Bearer ${await token('acme')}` } });
    t.equal(ok.status, 200);
    t.same(ok.json().url, '/acme/reports');
    t.equal((await fetchText(`${gw.url}/jt/reports`, { headers: { authorization: `Bearer ${await token('globex')}` } })).status, 403);
    t.equal((await fetchText(`${gw.url}/jt/reports`)).status, 401, 'auth runs before the plugin');
  });

  await t.test('HMAC signing: the upstream verifies the signature', async (t) => {
    const get = await fetchText(`${gw.url}/signed/a?b=1`);
    t.equal(get.status, 200, get.text);
    const post = await fetchText(`${gw.url}/signed/orders`, { method: 'POST', body: '{"item":42}', headers: { 'content-type': 'application/json' } });
    t.equal(post.status, 200, post.text);
    t.equal(post.json().body, '{"item":42}', 'the body arrives unchanged');
    t.equal((await fetchText(`${gw.url}/unsigned/a`)).status, 401, 'without the plugin the upstream refuses');
  });

  await t.test('backend for frontend: the JSON answer shaped for the mobile client', async (t) => {
    const r = await fetchText(`${gw.url}/mobile/users`);
    t.same(r.json(), { users: [{ id: 1, displayName: 'Ada' }, { id: 2, displayName: 'Alan' }] });
    t.equal(r.headers['cache-control'], 'private, max-age=30');
    t.equal(r.headers.server, undefined);
    t.equal(r.headers['content-length'], String(Buffer.byteLength(r.text)));
  });

  await t.test('function route', async (t) => {
    t.same((await fetchText(`${gw.url}/quote?price=2.5&qty=4`)).json(), { net: 10, tax: 1, total: 11, currency: 'EUR' });
    const post = await fetchText(`${gw.url}/quote`, { method: 'POST', body: JSON.stringify({ items: [{ price: 3, qty: 2 }, { price: 4, qty: 1 }] }) });
    t.same(post.json(), { net: 10, tax: 1, total: 11, currency: 'EUR' });
    t.equal(post.headers['x-quoted-by'], 'tollgate');
    t.equal((await fetchText(`${gw.url}/quote`, { method: 'POST', body: 'not json' })).status, 400);
  });
});

t.test('examples/plugins/gateway.yaml (the README walkthrough) validates with its plugins loaded', async (t) => {
  const run = spawnSync(process.execPath, [join(ROOT, 'dist/cli.js'), 'validate', '-c', example('gateway.yaml')], { encoding: 'utf8', timeout: 30_000 });
  t.equal(run.stderr, '');
  t.match(run.stdout, /gateway\.yaml: ok \(4 routes, 2 upstreams\)/);
  t.equal(run.status, 0);
});

t.test('a TypeScript plugin is checked against the published declarations', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-ts-plugin-'));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, types: [],
      // As if tollgate were installed in the plugin's node_modules (README: a TypeScript plugin).
      baseUrl: '.', paths: { 'tollgate/plugin': [join(ROOT, 'dist/plugin/index.d.ts')], zod: [join(ROOT, 'node_modules/zod/index.d.cts')] },
    },
    include: ['*.mts'],
  }));
  const good = `import { definePlugin, z } from 'tollgate/plugin';
export default definePlugin({
  name: 'typed',
  options: z.strictObject({ header: z.string(), times: z.number().default(1) }),
  setup(options) {
    const header: string = options.header;
    return {
      onRequest(req) {
        req.headers.set(header, String(options.times));
        if (req.method === 'DELETE') return { status: 405, json: { error: 'no' } };
        return undefined;
      },
      onResponse(res) { res.status = 200; },
    };
  },
});
`;
  writeFileSync(join(dir, 'good.mts'), good);
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
  const ok = spawnSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8', timeout: 60_000 });
  t.equal(ok.status, 0, ok.stdout + ok.stderr);

  writeFileSync(join(dir, 'bad.mts'), good
    .replace('const header: string = options.header;', 'const header: number = options.header;')
    .replace("return { status: 405, json: { error: 'no' } };", "return { code: 405 };"));
  const bad = spawnSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8', timeout: 60_000 });
  t.not(bad.status, 0);
  t.match(bad.stdout, /bad\.mts\(6,11\): error TS2322: Type 'string' is not assignable to type 'number'/, 'options are typed from the schema');
  t.match(bad.stdout, /bad\.mts\(\d+,\d+\): error TS\d+: .*code/, 'an answer must have the PluginAnswer shape');
});
