// limits.maxConnections, limits.headersTimeout and limits.idleTimeout on real sockets, per build:
// the current uWS build (20.57) honours them; the legacy one (20.30) cannot, and start refuses
// them there. (The schema and each build's rules: test/config/connection-limits.test.ts.)
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import t from 'tap';
import { fetchText } from '../helpers/http-reply.js';
import { runCli, startGateway, writeConfig, type GatewayProcess } from '../helpers/gateway-process.js';
import { startRecordingUpstream } from '../helpers/recording-upstream.js';
import { parseMetrics, total } from '../helpers/prometheus.js';
import { sleep } from '../helpers/scripted-upstream.js';
import { quirks, uwsBuild } from '../helpers/uws-build.js';

const GET = 'GET /hi HTTP/1.1\r\nHost: x\r\n\r\n';

function yaml(limits: string, extra = ''): string {
  return `
listen: { host: 127.0.0.1, port: 0 }
workers: 1
admin: { host: 127.0.0.1, port: 0 }
log: { level: warn, access: false }
limits: { ${limits} }
${extra}
routes:
  - { id: hi, match: { path: /hi }, respond: { status: 200, body: hi } }
`;
}

/** One raw client connection: what it read, and when (seconds after opening) the gateway closed it. */
interface Conn {
  socket: net.Socket;
  text: () => string;
  /** Resolves once `n` answers were read whole, or rejects after timeoutMs. */
  answered(n: number, timeoutMs?: number): Promise<void>;
  /** Seconds from opening to the close, or null while it is open. */
  closedAfter: () => number | null;
  closed: Promise<number>;
}

/** Whole answers of the /hi route read. */
const answers = (text: string): number => text.split('\r\n\r\nhi').length - 1;

function connect(port: number, bytes: string): Conn {
  const opened = Date.now();
  const socket = net.connect(port, '127.0.0.1', () => { if (bytes !== '') socket.write(bytes); });
  let text = '';
  let closedAt: number | null = null;
  socket.on('data', (d: Buffer) => { text += d.toString('latin1'); });
  socket.on('error', () => {});
  const closed = new Promise<number>((resolve) => socket.once('close', () => {
    closedAt = (Date.now() - opened) / 1000;
    resolve(closedAt);
  }));
  return {
    socket,
    text: () => text,
    closedAfter: () => closedAt,
    closed,
    async answered(n, timeoutMs = 3_000) {
      const until = Date.now() + timeoutMs;
      while (answers(text) < n) {
        if (Date.now() > until || closedAt !== null) throw new Error(`not ${n} answers; got ${JSON.stringify(text)}`);
        await sleep(10);
      }
    },
  };
}

/** Rejects after ms: a bound on waiting for a close. */
const within = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([p, sleep(ms).then(() => { throw new Error(`${what}: not within ${ms} ms`); })]);

/** From GET /metrics: the worker's open connections now, and the connections refused since start. */
async function connectionFigures(gw: GatewayProcess): Promise<{ open: number; refused: number }> {
  const families = parseMetrics((await fetchText(`${gw.adminUrl}/metrics`)).text);
  return { open: total(families, 'tollgate_worker_open_connections'), refused: total(families, 'tollgate_connections_refused_total') };
}

async function reload(gw: GatewayProcess, text: string): Promise<{ status: number; body: { reloaded: boolean; errors?: string[] } }> {
  writeFileSync(gw.configFile, text);
  const reply = await fetchText(`${gw.adminUrl}/reload`, { method: 'POST' });
  return { status: reply.status, body: JSON.parse(reply.text) as { reloaded: boolean; errors?: string[] } };
}

if (quirks.connectionFilter) {
  t.test(`${uwsBuild.name} build: limits.maxConnections closes a new connection over it at once, and counts it`, async (t) => {
    const gw = await startGateway(yaml('maxConnections: 2'));
    t.teardown(() => gw.stop());
    const a = connect(gw.port, GET);
    const b = connect(gw.port, GET);
    await a.answered(1);
    await b.answered(1);
    const over = connect(gw.port, GET);
    await within(over.closed, 3_000, 'the third connection is closed');
    t.equal(over.text(), '', 'the connection over the limit is closed unanswered');
    t.equal(a.closedAfter(), null, 'the two within the limit stay open');
    t.same(await connectionFigures(gw), { open: 2, refused: 1 }, '/metrics: the open connections, and the one refused');

    a.socket.write(GET);
    await a.answered(2);
    t.pass('a connection within the limit keeps serving');

    const raised = await reload(gw, yaml('maxConnections: 3'));
    t.equal(raised.status, 200, 'a new value applies on reload');
    const third = connect(gw.port, GET);
    await third.answered(1);
    t.pass('a third connection is served under the raised limit');
    t.same(await connectionFigures(gw), { open: 3, refused: 1 }, 'refusals are counted since start');

    const removed = await reload(gw, yaml(''));
    t.equal(removed.status, 400);
    t.match(removed.body.errors, [/limits(\.maxConnections)?: removing the connection limit needs a restart/], 'removing the limit needs a restart');

    b.socket.destroy();
    await b.closed;
    // The gateway sees the close a moment later; until then a new connection may still be over the limit.
    let refusedWhileClosing = 0;
    let next = connect(gw.port, GET);
    for (let i = 0; i < 20 && answers(next.text()) === 0; i++) {
      await Promise.race([next.answered(1, 1_000), next.closed]).catch(() => {});
      if (next.closedAfter() !== null) {
        refusedWhileClosing++;
        next = connect(gw.port, GET);
      }
    }
    t.equal(answers(next.text()), 1, 'once one closes, a new connection is served');
    t.same(await connectionFigures(gw), { open: 3, refused: 1 + refusedWhileClosing });
    for (const c of [a, third, next]) c.socket.destroy();
  });
} else {
  t.test(`${uwsBuild.name} build: start and validate refuse limits.maxConnections, naming the build`, async (t) => {
    const file = writeConfig(yaml('maxConnections: 100'));
    const started = await runCli(['start', '-c', file]);
    t.equal(started.code, 1, 'start exits 1');
    t.match(started.stderr, `${file}:6:`);
    t.match(started.stderr, `limits.maxConnections: the ${uwsBuild.name} uWebSockets.js build (20.30) does not tell the gateway when a connection opens or closes`);
    const validated = await runCli(['validate', '-c', file]);
    t.equal(validated.code, 1, 'validate exits 1');
    t.match(validated.stderr, 'limits.maxConnections: the legacy uWebSockets.js build (20.30)');
  });
}

if (quirks.settableTimeouts) {
  t.test(`${uwsBuild.name} build: limits.headersTimeout and limits.idleTimeout, each on its own timer`, async (t) => {
    const upstream = await startRecordingUpstream();
    t.teardown(() => upstream.close());
    const proxied = `upstreams:\n  rec: { targets: ['${upstream.url}'] }\n`;
    const route = '  - { id: up, match: { path: /up }, upstream: rec }\n';
    // uWS checks timeouts every 4 s: a 5 s timeout closes after 4 to 8 s (the default: 28 to 32 s).
    const [heads, idle] = await Promise.all([
      startGateway(yaml('headersTimeout: 5s', proxied) + route),
      startGateway(yaml('idleTimeout: 5s')),
    ]);
    t.teardown(() => Promise.all([heads.stop(), idle.stop()]));
    const BOUND = 12_000;

    const slowHead = connect(heads.port, 'GET /hi HTTP/1.1\r\nHost: x\r\n');
    const stalledBody = connect(heads.port, 'POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nx');
    const keptAlive = connect(heads.port, GET);
    const answered = connect(idle.port, GET);
    const slowHeadDefault = connect(idle.port, 'GET /hi HTTP/1.1\r\nHost: x\r\n');
    await Promise.all([keptAlive.answered(1), answered.answered(1)]);

    const [head, body, idled] = await Promise.all([
      within(slowHead.closed, BOUND, 'headersTimeout: an unfinished head'),
      within(stalledBody.closed, BOUND, 'headersTimeout: a stalled body'),
      within(answered.closed, BOUND, 'idleTimeout: a connection idle after its answer'),
    ]);
    t.ok(head >= 3, `headersTimeout 5s: an unfinished request head is closed after ${head.toFixed(1)} s`);
    t.equal(slowHead.text(), '', 'unanswered');
    t.ok(body >= 3, `the same timer closes a request body that stalls (${body.toFixed(1)} s)`);
    t.equal(stalledBody.text(), '', 'unanswered');
    t.equal(upstream.received(), '', 'nothing of it reached the upstream');
    t.ok(idled >= 3, `idleTimeout 5s: a keep-alive connection idle after its answer is closed after ${idled.toFixed(1)} s`);
    t.equal(keptAlive.closedAfter(), null, 'headersTimeout leaves an idle keep-alive connection to the idle timer (default 30 s)');
    t.equal(slowHeadDefault.closedAfter(), null, 'idleTimeout leaves an unfinished first head to the headers timer (default 30 s)');
    keptAlive.socket.write(GET);
    await keptAlive.answered(2);
    t.pass('the keep-alive connection still serves');
    for (const c of [keptAlive, slowHeadDefault]) c.socket.destroy();
  });
} else {
  t.test(`${uwsBuild.name} build: only its fixed ${quirks.idleTimeoutSeconds}s timeouts are accepted`, async (t) => {
    const refused = await runCli(['start', '-c', writeConfig(yaml('headersTimeout: 5s, idleTimeout: 20s'))]);
    t.equal(refused.code, 1, 'start exits 1');
    t.match(refused.stderr, `limits.headersTimeout: the legacy uWebSockets.js build (20.30) closes a connection that has not sent a complete request head (or whose request body stalls) after a fixed ${quirks.idleTimeoutSeconds}s`);
    t.match(refused.stderr, `limits.idleTimeout: the legacy uWebSockets.js build (20.30) closes a keep-alive connection that waits after an answer after a fixed ${quirks.idleTimeoutSeconds}s`);
    const gw = await startGateway(yaml(`headersTimeout: ${quirks.idleTimeoutSeconds}s, idleTimeout: ${quirks.idleTimeoutSeconds}s`));
    t.teardown(() => gw.stop());
    t.equal((await fetchText(`${gw.url}/hi`)).status, 200, `${quirks.idleTimeoutSeconds}s, what it does anyway, starts`);
  });
}
