// `--gc`: what the gc-meter.cjs lines of a Tollgate contender say about one measured run.
// Every thread of the gateway appends a line a second (the bytes its isolate allocated since it
// started, and each kind of collection's count and milliseconds); a run's figures are the
// differences between the first line at least half a second into it and the last line in it.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** The node arguments and environment that make every thread of a gateway write its lines to `file`. */
export function gcMeterArgs(file) {
  return { nodeArgs: ['--require', createRequire(import.meta.url).resolve('./gc-meter.cjs')], env: { NATIVE_BENCH_GC_OUT: file } };
}

function readLines(file) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const lines = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      lines.push(JSON.parse(line));
    } catch {
      // a line cut by a thread that ended mid-write
    }
  }
  return lines;
}

const gcMs = (line) => Object.values(line.gc).reduce((ms, kind) => ms + kind.ms, 0);
const gcCount = (line, kinds) => Object.entries(line.gc).reduce((n, [kind, k]) => n + (kinds.includes(kind) ? k.count : 0), 0);
const SCAVENGES = ['Scavenge', 'MinorMarkCompact', 'MinorMarkSweep'];

/** One thread's growth between the window's first and last line, or null when it has fewer than two there. */
function threadDelta(lines, from, to) {
  const inside = lines.filter((l) => l.t >= from && l.t <= to);
  if (inside.length < 2) return null;
  const a = inside[0];
  const b = inside[inside.length - 1];
  const seconds = (b.t - a.t) / 1000;
  const scavenges = gcCount(b, SCAVENGES) - gcCount(a, SCAVENGES);
  const all = gcCount(b, Object.keys(b.gc)) - gcCount(a, Object.keys(a.gc));
  return { role: b.role, seconds, bytes: b.allocated - a.allocated, gcMs: gcMs(b) - gcMs(a), scavenges, fullGcs: all - scavenges };
}

/**
 * The figures of the window [fromMs + 500, toMs] (epoch ms), at `rps` requests/s achieved:
 * worker bytes allocated per request (every serving worker together), the workers' collections,
 * and the supervisor's allocation and collection time per minute.
 */
export function gcFigures(file, fromMs, toMs, rps) {
  const byThread = new Map();
  for (const line of readLines(file)) {
    if (!byThread.has(line.thread)) byThread.set(line.thread, []);
    byThread.get(line.thread).push(line);
  }
  const deltas = [...byThread.values()].map((lines) => threadDelta(lines, fromMs + 500, toMs)).filter((d) => d !== null);
  const supervisor = deltas.find((d) => d.role === 'supervisor');
  const workers = deltas.filter((d) => d.role.startsWith('worker'));
  if (supervisor === undefined || workers.length === 0) return null;
  const workerSeconds = workers[0].seconds;
  const perMinute = (n, d) => (n * 60) / d.seconds;
  return {
    workerBytesPerRequest: rps > 0 ? workers.reduce((n, w) => n + w.bytes, 0) / (rps * workerSeconds) : null,
    workerScavengesPerSecond: workers.reduce((n, w) => n + w.scavenges / w.seconds, 0),
    workerGcMsPerSecond: workers.reduce((n, w) => n + w.gcMs / w.seconds, 0),
    workerFullGcs: workers.reduce((n, w) => n + w.fullGcs, 0),
    supervisorBytesPerMinute: perMinute(supervisor.bytes, supervisor),
    supervisorGcMsPerMinute: perMinute(supervisor.gcMs, supervisor),
    supervisorGcs: supervisor.scavenges + supervisor.fullGcs,
    seconds: supervisor.seconds,
  };
}
