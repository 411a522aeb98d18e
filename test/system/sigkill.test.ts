// SIGKILL of the supervisor leaves nothing behind: the worker threads die with the process, and
// the demo upstreams that `start --with-demo-upstreams` runs as a child process exit as well
// (they watch their parent through an IPC channel, which the kernel closes with the process).
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import t from 'tap';
import { startGateway } from '../helpers/gateway-process.js';
import { findFreePortForTest } from '../proxy/free-port.js';
import { childEnv, fetchOnNewConnection, poll } from './fixtures/system-fixture.js';

const SERVICES = ['users', 'orders', 'slow', 'flaky'] as const;

/** pid -> parent pid and state of every process this test can see. */
function processTable(): Map<number, { ppid: number; state: string }> {
  const table = new Map<number, { ppid: number; state: string }>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces and parentheses, so read after the last ')'.
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      table.set(Number(name), { ppid: Number(ppid), state: state! });
    } catch {
      // ended while we looked
    }
  }
  return table;
}

function descendantsOf(pid: number): number[] {
  const table = processTable();
  const found: number[] = [];
  const walk = (parent: number): void => {
    for (const [child, info] of table) {
      if (info.ppid === parent && !found.includes(child)) {
        found.push(child);
        walk(child);
      }
    }
  };
  walk(pid);
  return found;
}

/** Running, as opposed to gone or a zombie nobody reaped yet (it has exited either way). */
function isRunning(pid: number): boolean {
  const info = processTable().get(pid);
  return info !== undefined && info.state !== 'Z';
}

function refuses(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolve(false); });
    socket.once('error', () => resolve(true));
  });
}

/** Four distinct free ports, one per demo service, and a config whose upstreams point at them. */
async function demoConfig(): Promise<{ ports: number[]; yaml: string }> {
  const ports: number[] = [];
  while (ports.length < SERVICES.length) {
    const port = await findFreePortForTest();
    if (!ports.includes(port)) ports.push(port);
  }
  const yaml = `listen: { host: 127.0.0.1, port: 0 }
admin: { host: 127.0.0.1, port: 0 }
log: { access: false }
upstreams:
${SERVICES.map((s, i) => `  ${s}: { targets: [http://127.0.0.1:${ports[i]}] }`).join('\n')}
routes:
  - { id: user, match: { path: /api/users/:id, methods: [GET] }, upstream: users, rewrite: /v2/users/:id }
`;
  return { ports, yaml };
}

t.test('SIGKILL of the supervisor leaves no worker and no demo upstream process behind', async (t) => {
  const { ports, yaml } = await demoConfig();
  const gw = await startGateway(yaml, { args: ['--workers', '2', '--with-demo-upstreams'], env: childEnv() });
  const pid = gw.child.pid!;
  let demoPids: number[] = [];
  t.teardown(() => {
    if (gw.child.exitCode === null && gw.child.signalCode === null) gw.child.kill('SIGKILL');
    for (const p of demoPids) if (isRunning(p)) process.kill(p, 'SIGKILL');
  });

  const user = await fetchOnNewConnection(`${gw.url}/api/users/1`);
  t.equal(user.status, 200, 'the demo upstreams serve through the gateway');
  t.equal(user.json().id, 1);
  for (const port of ports) t.equal(await refuses(port), false, `a demo service listens on ${port}, the port the config names`);
  demoPids = descendantsOf(pid);
  t.equal(demoPids.length, 1, `one child process: the demo upstreams (${demoPids.join(', ')})`);
  t.ok(readdirSync(`/proc/${pid}/task`).length >= 3, 'the workers are threads of the gateway process');

  gw.child.kill('SIGKILL');
  await gw.exited;
  t.equal(gw.child.signalCode, 'SIGKILL');
  const gone = await poll(() => demoPids.every((p) => !isRunning(p)), 5_000, 50);
  t.ok(gone, 'the demo upstream process exits within 5 s of the supervisor being killed');
  for (const port of ports) t.equal(await refuses(port), true, `nothing listens on ${port} any more`);
  t.equal(await refuses(gw.port), true, 'nor on the gateway port');
});

t.test('SIGTERM stops the demo upstreams with the gateway, at once and cleanly', async (t) => {
  const { ports, yaml } = await demoConfig();
  const gw = await startGateway(yaml, { args: ['--workers', '1', '--with-demo-upstreams'], env: childEnv() });
  const demoPids = descendantsOf(gw.child.pid!);
  t.teardown(() => {
    if (gw.child.exitCode === null && gw.child.signalCode === null) gw.child.kill('SIGKILL');
    for (const p of demoPids) if (isRunning(p)) process.kill(p, 'SIGKILL');
  });
  t.equal(demoPids.length, 1, 'one child process: the demo upstreams');
  const started = Date.now();
  t.equal(await gw.stop('SIGTERM'), 0, 'the gateway exits 0');
  // The supervisor kills a demo child that is still there 5 s after its SIGTERM: it must not come to that.
  t.ok(Date.now() - started < 4_000, `within 4 s (${Date.now() - started} ms)`);
  const stopped = gw.logs.find((l) => l.msg === 'demo upstreams stopped');
  t.equal(stopped?.signal, 'SIGTERM', 'the demo upstreams stopped on the SIGTERM the supervisor sent them');
  t.ok(demoPids.every((p) => !isRunning(p)), 'and their process is gone');
  for (const port of ports) t.equal(await refuses(port), true, `nothing listens on ${port} any more`);
});
