// `tollgate start` and `tollgate validate` as a user runs them: bad configs, a fallback uWS
// binary, a busy port and an open admin listener all end in exit 1 with a clear message.
import net from 'node:net';
import { basename, dirname, join } from 'node:path';
import t from 'tap';
import { MAX_WORKERS } from '../../dist/shm/control-layout.js';
import { runCli as runCliWithTapEnv, writeConfig } from '../helpers/gateway-process.js';
import { childEnv } from './fixtures/system-fixture.js';

const runCli = (args: string[], env: Record<string, string> = {}, timeoutMs?: number): ReturnType<typeof runCliWithTapEnv> =>
  runCliWithTapEnv(args, childEnv(env), timeoutMs);

const GOOD = `listen: { host: 127.0.0.1, port: 0 }
admin: { port: 0 }
routes:
  - id: status
    match: { path: /status, methods: [GET] }
    respond: { status: 200, json: { ok: true } }
`;

// Three mistakes at known places: a bad duration (line 2), an unknown key (line 6), an undefined upstream (line 7).
const BAD = `listen: { host: 127.0.0.1, port: 0 }
shutdownTimeout: soon
admin: { port: 0 }
routes:
  - id: users
    tiemout: 5s
    upstream: nowhere
    match: { path: /users }
`;

// `FILE:LINE:COL path.to.key: message`
const ERROR_LINE = /^(.+):(\d+):(\d+) (\S+): (.+)$/;

function errorLines(stderr: string, file: string): { line: number; col: number; path: string; message: string }[] {
  return stderr.split('\n').flatMap((text) => {
    const m = ERROR_LINE.exec(text);
    if (m === null || m[1] !== file) return [];
    return [{ line: Number(m[2]), col: Number(m[3]), path: m[4]!, message: m[5]! }];
  });
}

function listenOn(host: string): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((s) => s.destroy());
    server.once('error', reject);
    server.listen(0, host, () => resolve(server));
  });
}

t.test('start with an invalid config exits 1 and prints every error as FILE:LINE:COL path: message', async (t) => {
  const file = writeConfig(BAD);
  const { code, stderr } = await runCli(['start', '-c', file, '--workers', '1']);
  t.equal(code, 1);
  const errors = errorLines(stderr, file);
  t.same(errors.map((e) => [e.line, e.path]), [[2, 'shutdownTimeout'], [6, 'routes.0.tiemout'], [7, 'routes.0.upstream']]);
  t.ok(errors.every((e) => e.col >= 1 && e.message.length > 0), 'each line has a column and a message');
  t.match(errors.find((e) => e.path === 'routes.0.upstream')?.message, /nowhere/);
  t.notMatch(stderr, /tollgate started/);

  const missing = join(dirname(file), 'absent.yaml');
  const absent = await runCli(['start', '-c', missing, '--workers', '1']);
  t.equal(absent.code, 1, 'a missing file is a config error too');
  t.match(errorLines(absent.stderr, missing)[0]?.message, /cannot read/);
});

t.test('validate: exit 0 on a good file, exit 1 with the same errors as start on a bad one', async (t) => {
  const good = writeConfig(GOOD);
  const ok = await runCli(['validate', '-c', good]);
  t.equal(ok.code, 0, ok.stderr);
  t.match(ok.stdout + ok.stderr, basename(good));

  const bad = writeConfig(BAD);
  const failed = await runCli(['validate', '-c', bad]);
  t.equal(failed.code, 1);
  const fromValidate = errorLines(failed.stdout + failed.stderr, bad);
  t.equal(fromValidate.length, 3);
  const started = await runCli(['start', '-c', bad, '--workers', '1']);
  t.same(errorLines(started.stderr, bad), fromValidate, 'start prints what validate prints');
});

t.test('validate refuses the route paths start refuses (encoded "/", NUL, broken UTF-8), with the same positioned error', async (t) => {
  for (const path of ['/a/%2F', '/a/%00', '/caf%C3']) {
    const file = writeConfig(GOOD.replace('path: /status', `path: "${path}"`));
    const validated = await runCli(['validate', '-c', file]);
    t.equal(validated.code, 1, `validate ${path} exits 1`);
    const errors = errorLines(validated.stderr, file);
    t.same(errors.map((e) => [e.line, e.path]), [[5, 'routes.0.match.path']], `validate ${path}: one error at the path`);
    t.match(errors[0]?.message, path);
    const started = await runCli(['start', '-c', file, '--workers', '1']);
    t.equal(started.code, 1, `start ${path} exits 1`);
    t.same(errorLines(started.stderr, file), errors, `start ${path} prints what validate prints`);
  }
});

t.test('--workers obeys the same limit as the config file (the shared control block\'s slots)', async (t) => {
  const file = writeConfig(GOOD);
  for (const flag of [String(MAX_WORKERS + 1), '1024', '0', '-1', '2.5', 'lots', '0x10', '']) {
    const { code, stderr, stdout } = await runCli(['start', '-c', file, `--workers=${flag}`]);
    t.equal(code, 2, `--workers ${JSON.stringify(flag)} is a usage error`);
    t.match(stderr, `--workers must be auto or an integer from 1 to ${MAX_WORKERS}`);
    t.notMatch(stdout, /tollgate started/);
  }
});

t.test('start refuses the pure-JS uWS fallback (UWS_USE_FALLBACK=1)', async (t) => {
  const file = writeConfig(GOOD);
  const { code, stderr, stdout } = await runCli(['start', '-c', file, '--workers', '1'], { UWS_USE_FALLBACK: '1' });
  t.equal(code, 1);
  t.match(stderr, /uWebSockets\.js/);
  t.match(stderr, /native/);
  t.notMatch(stdout, /tollgate started/);
});

t.test('start on a gateway port that is already in use exits 1 promptly with a clear message', async (t) => {
  const busy = await listenOn('127.0.0.1');
  t.teardown(() => new Promise<void>((resolve) => busy.close(() => resolve())));
  const port = (busy.address() as net.AddressInfo).port;
  const file = writeConfig(GOOD.replace('port: 0 }', `port: ${port} }`));
  const began = Date.now();
  const { code, stderr, stdout } = await runCli(['start', '-c', file, '--workers', '2'], {}, 15_000);
  const tookMs = Date.now() - began;
  t.equal(code, 1, 'exit 1, not a kill by the timeout');
  t.ok(tookMs < 10_000, `exited in ${tookMs} ms`);
  t.match(stderr, String(port), 'the message names the port');
  t.match(stderr, /in use|cannot listen/i);
  t.notMatch(stdout, /tollgate started/);
});

t.test('start on an admin port that is already in use exits 1 and names the admin listener', async (t) => {
  const busy = await listenOn('127.0.0.1');
  t.teardown(() => new Promise<void>((resolve) => busy.close(() => resolve())));
  const port = (busy.address() as net.AddressInfo).port;
  const file = writeConfig(GOOD.replace('admin: { port: 0 }', `admin: { port: ${port} }`));
  const { code, stderr, stdout } = await runCli(['start', '-c', file, '--workers', '1'], {}, 15_000);
  t.equal(code, 1);
  t.match(stderr, /admin/);
  t.match(stderr, String(port));
  t.notMatch(stdout, /tollgate started/);
});

t.test('start refuses an admin listener off loopback without a token', async (t) => {
  const file = writeConfig(GOOD.replace('admin: { port: 0 }', 'admin: { host: 0.0.0.0, port: 0 }'));
  const { code, stderr, stdout } = await runCli(['start', '-c', file, '--workers', '1']);
  t.equal(code, 1);
  const errors = errorLines(stderr, file);
  t.equal(errors.length, 1);
  t.equal(errors[0]?.path, 'admin.host');
  t.match(errors[0]?.message, /token/);
  t.notMatch(stdout, /tollgate started/);

  const withToken = writeConfig(GOOD.replace('admin: { port: 0 }', 'admin: { host: 0.0.0.0, port: 0, token: s3cret }'));
  t.equal((await runCli(['validate', '-c', withToken])).code, 0, 'the same listener with a token is accepted');
});
