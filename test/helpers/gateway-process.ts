// Starts the real gateway (supervisor + worker threads) as a child process on a config written
// to a temp dir, and reads its JSON log lines.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

/** A listener as the `tollgate started` line reports it (its port resolved). */
export interface StartedListener {
  host: string;
  port: number;
  tls: boolean;
}

export interface GatewayProcess {
  child: ChildProcess;
  /** The first listener's port. */
  port: number;
  /** Every listener, in config order. */
  listeners: StartedListener[];
  adminPort: number;
  url: string;
  adminUrl: string;
  configFile: string;
  logs: Record<string, unknown>[];
  stderr: () => string;
  /** Resolves with the first log line matching, or rejects after timeoutMs. */
  waitForLog(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

// Gateways still running when this test process ends. A test file that tap stops at its
// timeout (tap ends it with SIGALRM) or that is interrupted never runs its teardown: its
// gateways would outlive it, holding ports. tap's own timeout report still comes first.
const live = new Set<ChildProcess>();
let reaperInstalled = false;

function killLive(): void {
  for (const c of live) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (reaperInstalled) return;
  reaperInstalled = true;
  process.once('exit', killLive);
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGALRM'] as const) {
    process.once(signal, () => {
      killLive();
      process.exit(128 + (signal === 'SIGTERM' ? 15 : signal === 'SIGINT' ? 2 : 14));
    });
  }
}

export function writeConfig(yamlText: string, dir = mkdtempSync(join(tmpdir(), 'tollgate-test-'))): string {
  const file = join(dir, 'gateway.yaml');
  writeFileSync(file, yamlText);
  return file;
}

export function startGateway(
  yamlText: string,
  opts: { args?: string[]; env?: Record<string, string>; configFile?: string; cwd?: string } = {},
): Promise<GatewayProcess> {
  const configFile = opts.configFile ?? writeConfig(yamlText);
  const child = spawn(process.execPath, [CLI, 'start', '-c', configFile, ...(opts.args ?? [])], {
    env: { ...process.env, ...opts.env },
    cwd: opts.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child);
  const logs: Record<string, unknown>[] = [];
  const waiters: { match: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }[] = [];
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    let nl;
    while ((nl = out.indexOf('\n')) >= 0) {
      const line = out.slice(0, nl);
      out = out.slice(nl + 1);
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(line) as Record<string, unknown>;
      } catch {
        parsed = { raw: line };
      }
      logs.push(parsed);
      for (const w of [...waiters]) {
        if (w.match(parsed)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(parsed);
        }
      }
    }
  });
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const waitForLog = (match: (l: Record<string, unknown>) => boolean, timeoutMs = 10_000): Promise<Record<string, unknown>> => {
    const seen = logs.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('log line not seen in time; stderr: ' + err)), timeoutMs);
      waiters.push({ match, resolve: (l) => { clearTimeout(timer); resolve(l); } });
    });
  };

  return new Promise((resolve, reject) => {
    exited.then((code) => reject(new Error(`gateway exited with ${code} before starting: ${err}`)));
    waitForLog((l) => l.msg === 'tollgate started', 20_000).then((line) => {
      const port = line.port as number;
      const adminPort = line.adminPort as number;
      const listeners = line.listeners as StartedListener[];
      resolve({
        child, port, listeners, adminPort, configFile, logs, exited, waitForLog,
        url: `${listeners[0]?.tls === true ? 'https' : 'http'}://127.0.0.1:${port}`,
        adminUrl: `http://127.0.0.1:${adminPort}`,
        stderr: () => err,
        stop: (signal = 'SIGTERM') => {
          if (child.exitCode === null) child.kill(signal);
          return exited;
        },
      });
    }, (err: Error) => {
      // Never leave a gateway running behind a failed start.
      child.kill('SIGKILL');
      reject(err);
    });
  });
}

/** Runs the CLI to completion and returns its exit code and output. */
export function runCli(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 20_000,
  cwd?: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * The config most proxy tests start from: one worker on 127.0.0.1 port 0, admin on port 0, quiet
 * logs, one upstream `rec` at `url`, and the routes given (default: /api/* to rec). `extra` is
 * YAML for the top level (limits, trustedProxies...); `upstream` extends rec's entry.
 */
export function oneUpstreamYaml(url: string, opts: { extra?: string; upstream?: string; routes?: string } = {}): string {
  return `
listen: { host: 127.0.0.1, port: 0 }
workers: 1
admin: { host: 127.0.0.1, port: 0 }
log: { level: warn, access: false }
${opts.extra ?? ''}
upstreams:
  rec: { targets: ['${url}']${opts.upstream ? ', ' + opts.upstream : ''} }
routes:
${opts.routes ?? '  - { id: any, match: { path: /api/* }, upstream: rec }'}
`;
}
