// The measuring loop: repetitions in a rotated order, each contender started fresh, its paths
// checked, then every scenario measured closed-loop and at a fixed rate.
import { httpRequest } from './probe.mjs';
import { runWrk } from './wrk-run.mjs';
import { withCpuPerRequest } from './cpu-time.mjs';
import { scenariosFor } from './scenarios.mjs';
import { gcFigures } from './gc-figures.mjs';

/**
 * The contender order of repetition `rep`: rotated, and reversed every other time, so that no
 * contender always runs first, last, or right after the same neighbour.
 */
export function orderFor(contenders, rep, reps) {
  const step = Math.max(1, Math.floor(contenders.length / reps));
  const shift = (rep * step) % contenders.length;
  const rotated = [...contenders.slice(shift), ...contenders.slice(0, shift)];
  return rep % 2 === 1 ? rotated.reverse() : rotated;
}

/** A contender that answers the wrong thing would be measured doing something else. */
async function verifyPaths(contender, url, scenarios) {
  for (const s of scenarios) {
    const body = s.bodyBytes ? Buffer.alloc(s.bodyBytes, 120) : undefined;
    let res;
    try {
      res = await httpRequest(url + s.path, { method: s.method, body, headers: s.headers, timeoutMs: 5_000 });
    } catch (error) {
      throw new Error(`${contender.id}: ${s.method} ${s.path} failed: ${error.message}`);
    }
    if (res.status !== 200 || res.body.length !== s.expectBytes) {
      throw new Error(`${contender.id}: ${s.method} ${s.path} answered ${res.status} with ${res.body.length} bytes (expected 200 with ${s.expectBytes})`);
    }
  }
}

const ms = (value) => (value === undefined || value === null ? '-' : value.toFixed(2));

const cpu = (r) => (r.cpuUsPerRequest === null ? '' : ` cpu ${r.cpuUsPerRequest.toFixed(1)} us/req`);

/** A run with its wall-clock window (epoch ms), which --gc reads the gateway's lines over. */
async function timed(instance, run) {
  const from = Date.now();
  const result = await run();
  return instance.gcFile ? { ...result, window: { from, to: Date.now() } } : result;
}

const gcText = (gc) => (gc === null ? '' : ` | worker ${Math.round(gc.workerBytesPerRequest)} B/req, supervisor ${(gc.supervisorBytesPerMinute / 1024).toFixed(0)} KiB/min GC ${gc.supervisorGcMsPerMinute.toFixed(1)} ms/min`);

function progressLine(rep, contender, scenario, closed, fixed, gc) {
  const c = `closed ${Math.round(closed.rps).toLocaleString('en-US').padStart(7)} req/s p50 ${ms(closed.latency?.p50)} p99 ${ms(closed.latency?.p99)} ms${cpu(closed)}`;
  const f = fixed ? ` | fixed ${Math.round(fixed.rps).toLocaleString('en-US').padStart(6)} req/s p50 ${ms(fixed.summary?.latency.p50)} p99 ${ms(fixed.summary?.latency.p99)} p99.9 ${ms(fixed.summary?.latency.p999)} ms${cpu(fixed)}` : '';
  return `  [${rep + 1}] ${contender.id.padEnd(18)} ${scenario.id.padEnd(6)} ${c}${f}${gcText(gc)}\n`;
}

async function measureScenario(ctx, opts, rep, contender, instance, scenario) {
  const url = instance.url;
  // The proxy's own process group; none for `direct` (its CPU would be the upstream's).
  const pgid = instance.proc?.child.pid ?? null;
  const base = { wrk: ctx.tools.wrk, cpus: ctx.plan.load, url, scenario, threads: opts.threads, connections: opts.connections };
  if (opts.warmup > 0) await runWrk({ ...base, seconds: opts.warmup });
  const closed = await timed(instance, () => withCpuPerRequest(pgid, () => runWrk({ ...base, seconds: opts.duration })));
  const fixed = opts.rateDuration > 0 ? await timed(instance, () => withCpuPerRequest(pgid, () => runWrk({ ...base, seconds: opts.rateDuration, rate: opts.rate }))) : null;
  // --gc: over the fixed-rate run (the same load for every build), else the closed-loop one.
  const gcRun = fixed ?? closed;
  const gc = instance.gcFile ? gcFigures(instance.gcFile, gcRun.window.from, gcRun.window.to, gcRun.rps) : null;
  process.stderr.write(progressLine(rep, contender, scenario, closed, fixed, gc));
  return { rep, contender: contender.id, scenario: scenario.id, closed, fixed, gc };
}

export async function measureAll(ctx, opts, contenders, scenarios) {
  const runs = [];
  const workersSeen = {};
  for (let rep = 0; rep < opts.reps; rep++) {
    const order = orderFor(contenders, rep, opts.reps);
    process.stderr.write(`repetition ${rep + 1}/${opts.reps}: ${order.map((c) => c.id).join(', ')}\n`);
    for (const contender of order) {
      let instance;
      try {
        instance = await contender.start();
      } catch (error) {
        throw new Error(`${contender.label} (${contender.id}) failed to start: ${error.message}`);
      }
      try {
        if (instance.workers !== undefined) workersSeen[contender.id] = instance.workers;
        const mine = scenariosFor(contender, scenarios);
        await verifyPaths(contender, instance.url, mine);
        for (const scenario of mine) runs.push(await measureScenario(ctx, opts, rep, contender, instance, scenario));
      } finally {
        await instance.stop();
      }
    }
  }
  return { runs, workersSeen };
}
