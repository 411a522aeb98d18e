// Every process the bench starts, pinned with taskset, each in its own process group so that a
// stop reaches nginx's workers too. Whatever is still running when the bench exits, or is
// interrupted, is killed.
import { spawn } from 'node:child_process';
import { formatCpuList } from './cpus.mjs';

const TAIL_CHARS = 8_000;
const live = new Set();

function collect(stream, keepAll) {
  let text = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    text = keepAll ? text + chunk : (text + chunk).slice(-TAIL_CHARS);
  });
  return () => text;
}

/**
 * Starts `command args` under `taskset -c CPUS`. Returns { child, name, cpus, exited, stdout(),
 * stderr() }; keepAll keeps the whole stdout (wrk), otherwise only its tail.
 */
export function spawnPinned(name, cpus, command, args, { env, cwd, keepAll = false } = {}) {
  const child = spawn('taskset', ['-c', formatCpuList(cpus), command, ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group: see killGroup
  });
  const proc = { child, name, cpus, stdout: collect(child.stdout, keepAll), stderr: collect(child.stderr, false) };
  proc.exited = new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  child.once('error', () => {}); // a failed spawn also closes; the caller reads that from `exited`
  live.add(proc);
  proc.exited.then(() => live.delete(proc));
  return proc;
}

export function hasExited(proc) {
  return proc.child.exitCode !== null || proc.child.signalCode !== null;
}

function killGroup(proc, signal) {
  if (proc.child.pid === undefined) return;
  try {
    process.kill(-proc.child.pid, signal);
  } catch {
    // the group is already gone
  }
}

/** SIGTERM to the whole group, SIGKILL after timeoutMs; resolves with how it exited. */
export async function stopProcess(proc, timeoutMs = 10_000) {
  if (!hasExited(proc)) killGroup(proc, 'SIGTERM');
  let timer;
  const late = new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs, null)));
  let result = await Promise.race([proc.exited, late]);
  clearTimeout(timer);
  if (result === null) {
    process.stderr.write(`native-bench: ${proc.name} did not stop ${timeoutMs / 1000} s after SIGTERM; killing it\n`);
    killGroup(proc, 'SIGKILL');
    result = await proc.exited;
  }
  killGroup(proc, 'SIGKILL'); // strays the leader left behind (an nginx worker whose master died)
  return result;
}

export function describeExit({ code, signal }) {
  return signal ? `signal ${signal}` : `code ${code}`;
}

/** The output of a process that failed, for an error message. */
export function outputOf(proc) {
  const parts = [];
  const err = proc.stderr().trim();
  const out = proc.stdout().trim();
  parts.push(`--- ${proc.name} stderr ---\n${err ? err.slice(-TAIL_CHARS) : '(empty)'}`);
  if (out) parts.push(`--- ${proc.name} stdout ---\n${out.slice(-TAIL_CHARS)}`);
  return parts.join('\n');
}

export function killAllNow() {
  for (const proc of live) killGroup(proc, 'SIGKILL');
  live.clear();
}

/** Kills every child on exit and on SIGINT/SIGTERM; `cleanup` runs last (temp files). */
export function installExitHandlers(cleanup) {
  process.on('exit', () => {
    killAllNow();
    cleanup();
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(signal, () => {
      process.stderr.write(`\nnative-bench: ${signal}, stopping every process it started\n`);
      process.exit(130);
    });
  }
}
