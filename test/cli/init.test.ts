// `tollgate init`: the starter config it writes passes `tollgate validate` as written, and serves:
// started (on free ports) it answers its own route and proxies the other to the upstream. An
// existing file is never overwritten without --force.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { runCli as runCliWithTapEnv } from '../helpers/gateway-process.js';
import { startRecordingUpstream } from '../helpers/recording-upstream.js';
import { childEnv, fetchText, launch } from '../system/fixtures/system-fixture.js';

// No TOLLGATE_ADMIN_TOKEN: the starter config must validate without it.
const runCli = (args: string[], cwd: string): ReturnType<typeof runCliWithTapEnv> =>
  runCliWithTapEnv(args, childEnv({ TOLLGATE_ADMIN_TOKEN: '' }), 20_000, cwd);

const STACK_LINE = /^\s+at .+/m;
const tempDir = (): string => mkdtempSync(join(tmpdir(), 'tollgate-init-'));

t.test('init writes tollgate.yaml in the working directory, and validate accepts it', async (t) => {
  const cwd = tempDir();
  const init = await runCli(['init'], cwd);
  t.equal(init.code, 0, init.stderr);
  const file = join(cwd, 'tollgate.yaml');
  t.equal(init.stdout.split('\n')[0], `wrote ${file}`);
  t.match(init.stdout, 'tollgate validate -c tollgate.yaml');
  const text = readFileSync(file, 'utf8');
  for (const key of ['listen:', 'workers:', 'limits:', 'log:', 'admin:', 'upstreams:', 'routes:']) {
    t.match(text, new RegExp(`^# [^\\n]+\\n(#[^\\n]*\\n)*${key}`, 'm'), `${key} comes with a comment above it`);
  }
  t.match(text, 'token: ${TOLLGATE_ADMIN_TOKEN:-}', 'the admin token comes from the environment');
  t.match(text, 'targets: [http://127.0.0.1:3000]', 'the default upstream');
  t.equal(text.match(/^ {2}- id: /gm)?.length, 2, 'two routes');

  const validated = await runCli(['validate', '-c', 'tollgate.yaml'], cwd);
  t.equal(validated.code, 0, validated.stderr);
  t.equal(validated.stdout, 'tollgate.yaml: ok (2 routes, 1 upstream)\n');
});

t.test('init refuses to overwrite an existing file unless --force', async (t) => {
  const cwd = tempDir();
  const file = join(cwd, 'gw.yaml');
  writeFileSync(file, '# mine\n');
  const refused = await runCli(['init', 'gw.yaml'], cwd);
  t.equal(refused.code, 1);
  t.equal(refused.stderr, `tollgate init: ${file} already exists; pass --force to overwrite it\n`);
  t.equal(refused.stdout, '');
  t.equal(readFileSync(file, 'utf8'), '# mine\n', 'the file is untouched');

  const forced = await runCli(['init', 'gw.yaml', '--force'], cwd);
  t.equal(forced.code, 0, forced.stderr);
  t.match(readFileSync(file, 'utf8'), /^# Tollgate config, written by `tollgate init`/);
});

t.test('init into a folder that does not exist: one line, exit 1, nothing written', async (t) => {
  const cwd = tempDir();
  const { code, stderr } = await runCli(['init', 'nope/gw.yaml'], cwd);
  t.equal(code, 1);
  t.equal(stderr, `tollgate init: cannot write ${join(cwd, 'nope/gw.yaml')}: its folder does not exist\n`);
  t.notMatch(stderr, STACK_LINE);
  t.notOk(existsSync(join(cwd, 'nope')));
});

t.test('init --upstream URL: the starter config starts, answers /status itself and proxies the rest there', async (t) => {
  const upstream = await startRecordingUpstream('HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nupstream');
  t.teardown(() => upstream.close());
  const cwd = tempDir();
  const init = await runCli(['init', 'edge.yaml', `--upstream=${upstream.url}/`], cwd);
  t.equal(init.code, 0, init.stderr);
  const text = readFileSync(join(cwd, 'edge.yaml'), 'utf8');
  t.match(text, `targets: [${upstream.url}]`, 'the origin, without the trailing slash');
  t.equal((await runCli(['validate', '-c', 'edge.yaml'], cwd)).code, 0);

  // Only what a test machine needs changed: free ports on loopback.
  const local = text.replace('host: 0.0.0.0\n  port: 8080', 'host: 127.0.0.1\n  port: 0').replace('port: 9901', 'port: 0');
  t.not(local, text);
  const gw = await launch(t, local, { workers: 1 });
  const status = await fetchText(`${gw.url}/status`);
  t.equal(status.status, 200);
  t.same(status.json(), { ok: true });
  const proxied = await fetchText(`${gw.url}/orders/7?x=1`);
  t.equal(proxied.status, 200);
  t.equal(proxied.text, 'upstream');
  t.match(upstream.received(), /^GET \/orders\/7\?x=1 HTTP\/1\.1\r\n/, 'path and query as sent');
});
