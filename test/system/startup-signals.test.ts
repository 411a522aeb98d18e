// Signals that arrive while the gateway is still starting (SPEC §6): none of them may kill it.
// The config file is a FIFO, so the start-up waits, reading it, until the test writes the config:
// every signal below is sent after the handlers are in place ("tollgate starting") and before
// the workers can be up, without a race on timing.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { CLI } from '../helpers/gateway-process.js';
import { childEnv, fetchText, within, type LogLine } from './fixtures/system-fixture.js';

const CONFIG = `listen: { host: 127.0.0.1, port: 0 }
admin: { host: 127.0.0.1, port: 0 }
routes:
  - id: first
    match: { path: /first }
    respond: { status: 200, json: { route: first } }
`;
const RELOADED = `${CONFIG}  - id: second
    match: { path: /second }
    respond: { status: 200, json: { route: second } }
`;
const NODE_ABORT = /uv_loop_close|Assertion|Aborted|core dumped/;

interface Starting {
  child: ChildProcess;
  fifo: string;
  logs: LogLine[];
  stderr: () => string;
  waitForLog(msg: string, timeoutMs?: number): Promise<LogLine>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `tollgate start` on a FIFO config and resolves once its signal handlers are in place. */
async function startOnFifo(t: Test, workers: number): Promise<Starting> {
  const fifo = join(mkdtempSync(join(tmpdir(), 'tollgate-fifo-')), 'gateway.yaml');
  execFileSync('mkfifo', [fifo]);
  const child = spawn(process.execPath, [CLI, 'start', '-c', fifo, '--workers', String(workers)], {
    env: { ...process.env, ...childEnv() },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    // A write still waiting for a reader (the gateway died first) would keep this process alive.
    closeSync(openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK));
  });
  const logs: LogLine[] = [];
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    for (let nl = out.indexOf('\n'); nl >= 0; nl = out.indexOf('\n')) {
      const line = out.slice(0, nl);
      out = out.slice(nl + 1);
      try {
        logs.push(JSON.parse(line) as LogLine);
      } catch {
        logs.push({ raw: line });
      }
    }
  });
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const waitForLog = async (msg: string, timeoutMs = 15_000): Promise<LogLine> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = logs.find((l) => l.msg === msg);
      if (line) return line;
      if (Date.now() > deadline || child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`log line "${msg}" not seen; exit ${child.exitCode ?? child.signalCode}; stderr: ${err}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  await waitForLog('tollgate starting');
  return { child, fifo, logs, stderr: () => err, waitForLog, exited };
}

/** Writes the config into the FIFO: resolves once the gateway has opened it and the text is in, or the gateway exited. */
async function feed(gw: Starting, yaml: string): Promise<void> {
  await Promise.race([writeFile(gw.fifo, yaml).catch(() => undefined), gw.exited]);
}

function msgs(logs: LogLine[]): string[] {
  return logs.map((l) => String(l.msg));
}

function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  t.test(`${signal} during start-up stops the gateway cleanly once it is up: exit 0, nothing left listening`, async (t) => {
    const gw = await startOnFifo(t, 2);
    gw.child.kill(signal);
    gw.child.kill(signal); // a second one changes nothing
    await feed(gw, CONFIG);
    const { code, signal: killedBy } = await within(gw.exited, 20_000, { code: -1, signal: null });
    t.equal(killedBy, null, 'not killed by the signal');
    t.equal(code, 0, 'exit 0');
    t.notMatch(gw.stderr(), NODE_ABORT, 'no Node abort on the way out');
    const order = msgs(gw.logs);
    const noted = order.indexOf('stop requested during start-up: stopping as soon as the start-up ends');
    t.ok(noted >= 0 && noted < order.indexOf('tollgate started'), 'the stop was noted during start-up');
    t.equal(gw.logs[noted]?.signal, signal);
    t.ok(order.indexOf('tollgate stopped') > order.indexOf('tollgate started'), 'then it started and stopped');
    const started = gw.logs.find((l) => l.msg === 'tollgate started')!;
    t.equal(await tryConnect(started.port as number), 'ECONNREFUSED', 'no worker listens any more');
    t.equal(await tryConnect(started.adminPort as number), 'ECONNREFUSED', 'nor the admin API');
  });
}

t.test('SIGHUP during start-up reloads once the workers are up', async (t) => {
  const gw = await startOnFifo(t, 2);
  gw.child.kill('SIGHUP');
  gw.child.kill('SIGHUP'); // two make one reload at most
  await feed(gw, CONFIG);
  const started = await gw.waitForLog('tollgate started');
  // The deferred reload reads the FIFO again: the file changed after it was first read.
  await within(feed(gw, RELOADED), 15_000, null);
  const reloaded = await gw.waitForLog('config reloaded');
  t.equal(reloaded.generation, 2, 'one reload, to generation 2');
  t.equal(gw.child.exitCode, null, 'still running');
  const url = `http://127.0.0.1:${started.port as number}`;
  t.same((await fetchText(`${url}/second`)).json(), { route: 'second' }, 'the reloaded config serves');
  t.same((await fetchText(`${url}/first`)).json(), { route: 'first' });
  // The kernel may merge two SIGHUPs that arrive together; one note at least, one reload at most.
  t.ok(gw.logs.some((l) => l.msg === 'reload requested during start-up: reloading once the workers are up'), 'the reload was noted');
  t.equal(gw.logs.filter((l) => l.msg === 'config reloaded').length, 1, 'only one reload');
  gw.child.kill('SIGTERM');
  t.same(await gw.exited, { code: 0, signal: null });
  t.notMatch(gw.stderr(), NODE_ABORT);
});

t.test('SIGUSR2 during start-up is logged and dropped; the gateway starts and serves', async (t) => {
  const gw = await startOnFifo(t, 1);
  gw.child.kill('SIGUSR2');
  await feed(gw, CONFIG);
  const started = await gw.waitForLog('tollgate started');
  t.equal((await fetchText(`http://127.0.0.1:${started.port as number}/first`)).status, 200);
  const order = msgs(gw.logs);
  t.ok(order.indexOf('stats requested during start-up: nothing to report yet') >= 0, 'the signal was noted');
  t.notOk(order.includes('stats'), 'no stats line for it');
  t.equal(gw.child.exitCode, null, 'still running');
  gw.child.kill('SIGTERM');
  t.same(await gw.exited, { code: 0, signal: null });
});
