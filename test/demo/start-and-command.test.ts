import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { startDemoUpstreams } from '../../dist/demo/index.js';
import { CLI } from '../helpers/gateway-process.js';
import { call, EPHEMERAL, startDemo } from './fixtures/demo-fixture.js';


t.test('a taken port fails with a clear error naming the service', async (t) => {
  const blocker = createServer();
  blocker.listen(0, '127.0.0.1');
  await once(blocker, 'listening');
  t.teardown(() => blocker.close());
  const taken = (blocker.address() as { port: number }).port;
  await t.rejects(startDemoUpstreams({ ports: { ...EPHEMERAL, slow: taken } }), {
    message: /demo upstream "slow" cannot listen on 127\.0\.0\.1:\d+ \(port in use/,
  });
});

t.test('a second instance on the same ports fails instead of sharing them', async (t) => {
  const demo = await startDemo(t);
  await t.rejects(startDemoUpstreams({ ports: demo.ports }), { message: /demo upstream "users" cannot listen/ });
  t.equal((await call(demo, 'users', '/health')).status, 200, 'the first instance still serves');
});

t.test('an invalid port is refused', async (t) => {
  await t.rejects(startDemoUpstreams({ ports: { ...EPHEMERAL, users: 70000 } }), { message: /port must be an integer/ });
});

t.test('close() ends pending requests and frees the ports', async (t) => {
  const demo = await startDemoUpstreams({ ports: EPHEMERAL });
  const pending = call(demo, 'slow', '/slow?ms=2000');
  await sleep(50);
  const started = Date.now();
  await demo.close();
  await t.rejects(pending, 'the pending request is cut off');
  t.ok(Date.now() - started < 1000, 'close does not wait for the slow answer');
  await demo.close(); // a second close is harmless
  const again = await startDemoUpstreams({ ports: { ...EPHEMERAL, users: demo.ports.users } });
  t.equal(again.ports.users, demo.ports.users, 'the port can be bound again');
  await again.close();
});

function runCommand(args: string[]) {
  const child = spawn(process.execPath, [CLI, 'demo-upstreams', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  return { child, exited, out: () => stdout, err: () => stderr };
}

async function waitForLines(read: () => string, count: number): Promise<string[]> {
  for (let i = 0; i < 100; i++) {
    const lines = read().split('\n').filter(Boolean);
    if (lines.length >= count) return lines;
    await sleep(50);
  }
  throw new Error(`expected ${count} lines, got: ${read()}`);
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  t.test(`demo-upstreams command logs each service and exits 0 on ${signal}`, async (t) => {
    const run = runCommand(['--host', '127.0.0.1', '--users-port', '0', '--orders-port=0', '--slow-port', '0', '--flaky-port', '0']);
    t.teardown(() => {
      if (run.child.exitCode === null) run.child.kill('SIGKILL');
    });
    const lines = (await waitForLines(run.out, 4)).map((line) => JSON.parse(line));
    t.same(lines.map((l) => l.service), ['users', 'orders', 'slow', 'flaky']);
    for (const line of lines) {
      t.equal(line.msg, 'demo upstream listening');
      t.match(line.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    }
    const health = await fetch(`${lines[0].url}/health`);
    t.same(await health.json(), { status: 'ok', service: 'users' });
    run.child.kill(signal);
    const [code] = await run.exited;
    t.equal(code, 0, run.err());
  });
}

t.test('demo-upstreams command rejects unknown options as a usage error (exit 2)', async (t) => {
  const run = runCommand(['--bogus-port', '1']);
  const [code] = await run.exited;
  t.equal(code, 2);
  t.match(run.err(), /^tollgate demo-upstreams: unknown option --bogus-port\nUsage: tollgate demo-upstreams /);
});

t.test('demo-upstreams command exits 1 when a port is taken', async (t) => {
  const blocker = createServer();
  blocker.listen(0, '127.0.0.1');
  await once(blocker, 'listening');
  t.teardown(() => blocker.close());
  const taken = String((blocker.address() as { port: number }).port);
  const run = runCommand(['--users-port', '0', '--orders-port', taken, '--slow-port', '0', '--flaky-port', '0']);
  const [code] = await run.exited;
  t.equal(code, 1);
  t.match(run.err(), /demo upstream \\"orders\\" cannot listen/);
});
