// The gateway under soak: its config (two variants that reloads alternate between), the process
// (`tollgate start --with-demo-upstreams`, so the demo services run as its child), its JSON log
// lines, SIGUSR2 stats snapshots, and what /proc says about it.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

const OUTPUT_TAIL_CHARS = 8_000;

/** A port nothing listens on right now (the gateway and the demo services bind them next). */
export async function freePort() {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Distinct free ports: listen, admin, and one per demo service. */
export async function soakPorts() {
  const taken = new Set();
  const next = async () => {
    for (;;) {
      const port = await freePort();
      if (!taken.has(port)) {
        taken.add(port);
        return port;
      }
    }
  };
  return { listen: await next(), admin: await next(), users: await next(), orders: await next(), slow: await next(), flaky: await next() };
}

/**
 * The soak config. Each reload changes something real: variant 1 and 2 differ in the users
 * upstream's `connections` (its pools are replaced and the old ones retired) and in the body of
 * the static route (a new route table).
 */
export function soakConfig(ports, variant) {
  return `listen: { host: 127.0.0.1, port: ${ports.listen} }
admin: { host: 127.0.0.1, port: ${ports.admin} }
workers: 2
log: { level: info, access: false }
limits: { maxBodySize: 1mb, requestTimeout: 5s }
upstreams:
  users: { targets: [http://127.0.0.1:${ports.users}], connections: ${variant === 1 ? 64 : 63} }
  orders: { targets: [http://127.0.0.1:${ports.orders}] }
  slow: { targets: [http://127.0.0.1:${ports.slow}] }
  flaky: { targets: [http://127.0.0.1:${ports.flaky}] }
routes:
  - { id: small, match: { path: /api/small, methods: [GET] }, upstream: users, rewrite: /small }
  - { id: bytes, match: { path: /api/bytes/:n, methods: [GET] }, upstream: users, rewrite: /bytes/:n }
  - { id: echo, match: { path: /api/echo, methods: [POST] }, upstream: users, rewrite: /echo }
  - { id: flaky, match: { path: /flaky/*, methods: [GET] }, upstream: flaky, rewrite: /* }
  - { id: slow, match: { path: /slow, methods: [GET] }, upstream: slow, timeout: 5s }
  - { id: slow-timeout, match: { path: /slow-timeout, methods: [GET] }, upstream: slow, rewrite: /slow, timeout: 50ms }
  - { id: static, match: { path: /static, methods: [GET] }, respond: { status: 200, json: { ok: true, variant: ${variant} } } }
`;
}

function keepTail(stream) {
  let text = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    text = (text + chunk).slice(-OUTPUT_TAIL_CHARS);
  });
  return () => text.trim();
}

/** Starts the gateway; resolves once it logged 'tollgate started'. */
export async function startSoakGateway({ cli, configFile, workers }) {
  const child = spawn(process.execPath, [cli, 'start', '-c', configFile, '--workers', String(workers), '--with-demo-upstreams'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr = keepTail(child.stderr);
  const exited = once(child, 'exit');
  const lines = [];
  const waiters = new Set();
  let buffered = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    buffered += chunk;
    let nl;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const text = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      let line;
      try {
        line = JSON.parse(text);
      } catch {
        line = { raw: text };
      }
      // Only what the soak reads is kept: a 10-minute run must not grow the harness itself.
      if (line.msg !== 'stats') lines.push(line);
      for (const w of [...waiters]) w(line);
    }
  });
  const nextLine = (match, timeoutMs) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      waiters.delete(waiter);
      reject(new Error(`no matching gateway log line within ${timeoutMs} ms; stderr: ${stderr()}`));
    }, timeoutMs);
    timer.unref();
    const waiter = (line) => {
      if (!match(line)) return;
      clearTimeout(timer);
      waiters.delete(waiter);
      resolve(line);
    };
    waiters.add(waiter);
  });
  const started = nextLine((l) => l.msg === 'tollgate started', 30_000);
  const early = exited.then(([code, signal]) => {
    throw new Error(`the gateway exited (${signal ?? `code ${code}`}) before it started; stderr: ${stderr()}`);
  });
  // Whichever loses the race settles later, unobserved: a later exit is the stop's business.
  started.catch(() => {});
  early.catch(() => {});
  await Promise.race([started, early]);
  return {
    child,
    pid: child.pid,
    lines,
    stderr,
    exited,
    /** SIGUSR2, and the stats line it makes the gateway log. */
    async stats() {
      const line = nextLine((l) => l.msg === 'stats', 10_000);
      child.kill('SIGUSR2');
      return line;
    },
    async stop(timeoutMs = 45_000) {
      if (child.exitCode !== null || child.signalCode !== null) return { code: child.exitCode, signal: child.signalCode };
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const [code, signal] = await exited;
      clearTimeout(timer);
      return { code, signal };
    },
  };
}

/** Writes the next config variant and asks the admin API to reload it. */
export async function reload(ports, configFile, variant) {
  writeFileSync(configFile, soakConfig(ports, variant));
  try {
    const res = await fetch(`http://127.0.0.1:${ports.admin}/reload`, { method: 'POST', signal: AbortSignal.timeout(15_000) });
    const body = await res.json();
    return res.status === 200 ? { ok: true } : { ok: false, error: JSON.stringify(body.errors ?? body) };
  } catch (error) {
    return { ok: false, error: error.message };
  }
}

/**
 * RSS (MiB), open file descriptors and threads of a process, from /proc. RSS is also split into
 * its anonymous part (heaps, buffers: where a leak shows) and its file-backed part (the node
 * binary and libraries, which the kernel may drop and fault back in under memory pressure).
 */
export function procFigures(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  const mib = (name) => Math.round((kb(name) / 1024) * 100) / 100;
  return {
    rssMiB: mib('VmRSS'),
    rssAnonMiB: mib('RssAnon'),
    rssFileMiB: mib('RssFile'),
    fds: fdCount(pid),
    threads: Number(/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? NaN),
  };
}

export function fdCount(pid) {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/**
 * Reads the open descriptors every `everyMs` and keeps the fewest and the most since the last
 * take(). The fewest is the figure to fit: sockets that come and go (client connections,
 * upstream keep-alive sockets, clients that leave) make any one reading noisy, while a leaked
 * descriptor stays open and lifts the floor.
 */
export function watchFds(pid, everyMs = 1_000) {
  let low = Infinity;
  let high = -Infinity;
  const read = () => {
    try {
      const n = fdCount(pid);
      low = Math.min(low, n);
      high = Math.max(high, n);
    } catch {
      // the process is gone: the sampler reports that
    }
  };
  const timer = setInterval(read, everyMs);
  return {
    take() {
      read();
      const range = { fewest: low, most: high };
      low = Infinity;
      high = -Infinity;
      return range;
    },
    stop: () => clearInterval(timer),
  };
}

export const configPath = (dir) => join(dir, 'gateway.yaml');
