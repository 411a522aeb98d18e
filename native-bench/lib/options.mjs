// Command-line options of native-bench/run.mjs.
import { resolve } from 'node:path';
import { resultsDir } from './report-files.mjs';
import { parseArgs } from 'node:util';

export const USAGE = `usage: node native-bench/run.mjs [options]        (npm run bench:native -- [options])
  --duration S          closed-loop seconds per run (default 8; "10s" works too)
  --rate-duration S     fixed-rate seconds per run (default: --duration; 0 = no fixed-rate run)
  --warmup S            discarded closed-loop seconds before each scenario (default 2)
  --reps N              repetitions, the contender order rotated each time (default 3)
  --quick               smoke run of about a minute: 1 repetition of 1 s runs, no warm-up
  --connections N       wrk connections (default 50)
  --threads N           wrk threads (default 1)
  --rate N              requests/s offered by the fixed-rate run, over all connections (default 5000)
  --workers LIST        Tollgate worker counts, e.g. 1,auto or 1,2,4,8,16 (default 1,auto)
  --contenders LIST     only these: direct, nginx, haproxy, reference, tollgate (all worker
                        counts) or tollgate:N, fast-gateway, fastify-http-proxy (default all);
                        meters-off (Tollgate, 1 worker, TOLLGATE_BENCH_METERS=off) and uws-memory
                        (bare uWS answering GETs from memory: a cache hit's ceiling) only when named
  --scenario LIST       only these: small, 64k, post4k, auth (default all; auth runs on Tollgate only)
  --proxy-cpus LIST     cores for the proxies (default: the first online core); single-process
                        contenders use its first core, Tollgate with N workers its first N
  --load-cpus LIST      cores for wrk and the upstream (default: every other online core)
  --upstream-workers N  nginx worker processes of the upstream (default 1)
  --uws LIST            run the reference and each Tollgate contender once per uWebSockets.js
                        build named (TOLLGATE_UWS), e.g. current,legacy, in the same run; ids
                        get @BUILD (tollgate:1@legacy). Default: the build that loads
  --baseline DIR        also run another build of Tollgate (1 worker) as contender "baseline":
                        DIR is a checkout whose dist/ is built, e.g. a git worktree of the
                        commit before a change, for a same-run before/after comparison
  --gc                  also measure garbage: every Tollgate contender (and the baseline) runs
                        with lib/gc-meter.cjs preloaded, and each fixed-rate run (closed-loop
                        when there is none) reports the worker's bytes allocated per request,
                        its scavenges, and the supervisor's allocation and GC time per minute
  --save                keep the results: write them to native-bench/results/ (tracked by git);
                        without it they go to native-bench/results/local/ (git-ignored)
  --out DIR             where results go instead (overrides both)
  --no-install          fail instead of running apt-get / npm install when something is missing`;

function seconds(name, text, min) {
  const match = /^(\d+(?:\.\d+)?)s?$/.exec(text);
  const value = match ? Number(match[1]) : NaN;
  if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be whole seconds >= ${min}, got ${JSON.stringify(text)}`);
  return value;
}

function integer(name, text, min) {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be an integer >= ${min}, got ${JSON.stringify(text)}`);
  return value;
}

const list = (text) => (text === undefined ? null : text.split(',').map((s) => s.trim()).filter(Boolean));

export function readOptions(argv, benchDir) {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      duration: { type: 'string' },
      'rate-duration': { type: 'string' },
      warmup: { type: 'string' },
      reps: { type: 'string' },
      quick: { type: 'boolean', default: false },
      connections: { type: 'string', default: '50' },
      threads: { type: 'string', default: '1' },
      rate: { type: 'string', default: '5000' },
      workers: { type: 'string', default: '1,auto' },
      contenders: { type: 'string' },
      scenario: { type: 'string' },
      'proxy-cpus': { type: 'string' },
      'load-cpus': { type: 'string' },
      'upstream-workers': { type: 'string', default: '1' },
      out: { type: 'string' },
      save: { type: 'boolean', default: false },
      baseline: { type: 'string' },
      uws: { type: 'string' },
      gc: { type: 'boolean', default: false },
      'no-install': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const quick = values.quick;
  const duration = seconds('duration', values.duration ?? (quick ? '1' : '8'), 1);
  const connections = integer('connections', values.connections, 1);
  const rate = integer('rate', values.rate, 1);
  const threads = integer('threads', values.threads, 1);
  const uws = list(values.uws);
  for (const build of uws ?? []) {
    if (build !== 'current' && build !== 'legacy') throw new Error(`--uws takes current and legacy, got ${JSON.stringify(build)}`);
  }
  if (threads > connections) throw new Error('--threads must not exceed --connections (wrk gives each thread its own connections)');
  return {
    help: values.help,
    quick,
    duration,
    rateDuration: seconds('rate-duration', values['rate-duration'] ?? String(duration), 0),
    warmup: seconds('warmup', values.warmup ?? (quick ? '0' : '2'), 0),
    reps: integer('reps', values.reps ?? (quick ? '1' : '3'), 1),
    connections,
    threads,
    rate,
    workers: list(values.workers).map((w) => (w === 'auto' ? 'auto' : integer('workers', w, 1))),
    contenders: list(values.contenders),
    scenarios: list(values.scenario),
    proxyCpus: values['proxy-cpus'],
    loadCpus: values['load-cpus'],
    upstreamWorkers: integer('upstream-workers', values['upstream-workers'], 1),
    out: resultsDir(resolve(benchDir, 'results'), { out: values.out, save: values.save }),
    save: values.save,
    outGiven: values.out !== undefined,
    baseline: values.baseline === undefined ? null : resolve(values.baseline),
    uws,
    gc: values.gc,
    install: !values['no-install'],
  };
}
