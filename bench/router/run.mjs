// Router micro-benchmark: Tollgate's shared-memory RouteTable vs find-my-way's find().
//   npm run build && node bench/router/run.mjs [--quick] [--save]
//   (--quick: short smoke run, writes no results; --save: write bench/router/results.md, tracked
//   by git; without it the results go to bench/router/local/results.md, git-ignored)
// Each (route set, request kind, router) case runs in its own fresh child process: build the
// router, warm up, then time a fixed number of lookups. Prints a table and writes results.md.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import FindMyWay from 'find-my-way';
import { buildRouteTable } from '../../dist/routing/build-route-table.js';
import { normalizePath } from '../../dist/routing/normalize-path.js';
import { NOT_FOUND, RouteTable } from '../../dist/routing/route-table.js';
import { resultsDir } from '../../native-bench/lib/report-files.mjs';
import { ROUTE_SETS, requestsFor } from './route-sets.mjs';

const SELF = fileURLToPath(import.meta.url);
const KINDS = ['static', 'params', 'misses'];
const ROUTERS = ['tollgate', 'tollgate+normalize', 'find-my-way'];
const QUICK = process.argv.includes('--quick');
const SAVE = process.argv.includes('--save');
const WARMUP = QUICK ? 100_000 : 500_000;
const TIMED = QUICK ? 500_000 : 2_000_000;
const REPEATS = QUICK ? 1 : 7;
const WINDOWS = 10;

function makeTollgate(routes) {
  const table = new RouteTable(buildRouteTable(routes.map(([method, path]) => ({ path, methods: [method], host: null }))));
  const params = [];
  return {
    plain: (method, path) => table.lookup(method, '', path, params),
    normalized: (method, path) => table.lookup(method, '', normalizePath(path), params),
  };
}

function makeFindMyWay(routes) {
  const router = FindMyWay();
  const handler = () => {};
  for (const [method, path] of routes) router.on(method, path, handler);
  return (method, path) => router.find(method, path);
}

function lookupFor(routerName, routes) {
  if (routerName === 'find-my-way') {
    const find = makeFindMyWay(routes);
    return (method, path) => (find(method, path) === null ? 0 : 1);
  }
  const { plain, normalized } = makeTollgate(routes);
  const lookup = routerName === 'tollgate' ? plain : normalized;
  return (method, path) => (lookup(method, path) >= 0 ? 1 : 0);
}

/** Child: one case, one fresh process. Prints { opsPerSec, found }. */
function runCase(setName, kind, routerName) {
  const requests = requestsFor(setName, kind);
  const lookup = lookupFor(routerName, ROUTE_SETS[setName]());
  const methods = requests.map(([method]) => method);
  const paths = requests.map(([, path]) => path);
  const n = requests.length;
  let found = 0;
  for (let i = 0; i < WARMUP; i++) found += lookup(methods[i % n], paths[i % n]);
  found = 0;
  // The timed loop runs in WINDOWS equal slices and the best slice counts. This box has 2 vCPUs
  // shared with other work (likely hyperthread siblings): a busy sibling halves any loop's speed
  // for seconds at a time, so a whole-run figure measures the neighbours; the best slice is the
  // router's own speed, and both routers get the same treatment. CPU time, not wall time, so
  // that time spent descheduled does not count either.
  let best = 0;
  const slice = TIMED / WINDOWS;
  for (let w = 0; w < WINDOWS; w++) {
    const start = process.cpuUsage();
    for (let i = w * slice; i < (w + 1) * slice; i++) found += lookup(methods[i % n], paths[i % n]);
    const used = process.cpuUsage(start);
    best = Math.max(best, slice / ((used.user + used.system) / 1e6));
  }
  process.stdout.write(JSON.stringify({ opsPerSec: best, found }));
}

/** Both routers must agree on every request (hits are hits, misses are misses) before timing. */
function checkAgreement() {
  for (const setName of Object.keys(ROUTE_SETS)) {
    const routes = ROUTE_SETS[setName]();
    const { plain } = makeTollgate(routes);
    const find = makeFindMyWay(routes);
    for (const kind of KINDS) {
      for (const [method, path] of requestsFor(setName, kind)) {
        const ours = plain(method, path) >= 0;
        const theirs = find(method, path) !== null;
        const expected = kind !== 'misses';
        if (ours !== expected || theirs !== expected) {
          throw new Error(`${setName}/${kind}: ${method} ${path}: tollgate ${ours}, find-my-way ${theirs}, expected ${expected}`);
        }
      }
    }
  }
  if (makeTollgate([['GET', '/a']]).plain('GET', '/b') !== NOT_FOUND) throw new Error('NOT_FOUND sanity check');
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function runChild(setName, kind, routerName) {
  const out = execFileSync(process.execPath, [SELF, '--child', setName, kind, routerName, ...(QUICK ? ['--quick'] : [])]);
  const { opsPerSec, found } = JSON.parse(out.toString());
  const expected = kind === 'misses' ? 0 : TIMED;
  if (found !== expected) throw new Error(`${setName}/${kind}/${routerName}: ${found} hits in the timed loop, expected ${expected}`);
  return opsPerSec;
}

/**
 * Routers of one cell run back to back in each round, so a round's ratio compares runs made
 * under the same machine load; the cell reports medians over the rounds.
 */
function measureCell(setName, kind) {
  const runs = Object.fromEntries(ROUTERS.map((routerName) => [routerName, []]));
  const ratios = [];
  const ratiosNormalized = [];
  for (let r = 0; r < REPEATS; r++) {
    const round = Object.fromEntries(ROUTERS.map((routerName) => [routerName, runChild(setName, kind, routerName)]));
    for (const routerName of ROUTERS) runs[routerName].push(round[routerName]);
    ratios.push(round.tollgate / round['find-my-way']);
    ratiosNormalized.push(round['tollgate+normalize'] / round['find-my-way']);
  }
  return {
    ...Object.fromEntries(ROUTERS.map((routerName) => [routerName, median(runs[routerName])])),
    ratio: median(ratios),
    ratioNormalized: median(ratiosNormalized),
  };
}

const FMW_VERSION = createRequire(import.meta.url)('find-my-way/package.json').version;
/** The tracked results file; its notes section is carried into every rewrite. */
const SAVED_RESULTS = fileURLToPath(new URL('./results.md', import.meta.url));
const RESULTS = join(resultsDir(dirname(SAVED_RESULTS), { save: SAVE }), 'results.md');
const NOTES_MARKER = '<!-- notes: kept when run.mjs rewrites the table above -->';
const fmt = (ops) => `${(ops / 1e6).toFixed(2)}M/s`;

function main() {
  checkAgreement();
  const rows = [];
  for (const setName of Object.keys(ROUTE_SETS)) {
    for (const kind of KINDS) {
      const row = { set: setName, kind, requests: requestsFor(setName, kind).length, ...measureCell(setName, kind) };
      rows.push(row);
      console.log(`${row.set.padEnd(12)} ${row.kind.padEnd(7)} ${String(row.requests).padStart(5)} paths | lookups/s: `
        + `tollgate ${fmt(row.tollgate).padStart(9)} | +normalize ${fmt(row['tollgate+normalize']).padStart(9)} | `
        + `find-my-way ${fmt(row['find-my-way']).padStart(9)} | ratio ${row.ratio.toFixed(2)}x (${row.ratioNormalized.toFixed(2)}x with normalize)`);
    }
  }
  if (!QUICK) writeResults(rows); // a --quick smoke run never replaces the recorded figures
}

function writeResults(rows) {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const lines = [
    '# Router benchmark results',
    '',
    `Measured with \`node bench/router/run.mjs\` on ${os.cpus().length} cores (${cpu}), Node ${process.version}, `
      + `find-my-way ${FMW_VERSION}; median of ${REPEATS} rounds per cell (each round runs the three routers back to back, each in a fresh child process; the ratio is the median of the per-round ratios), `
      + `${TIMED.toLocaleString('en')} timed lookups (best of ${WINDOWS} equal slices, in lookups per CPU-second: see runCase) after ${WARMUP.toLocaleString('en')} warm-up lookups. Higher is better.`,
    '',
    '| route set | requests | n | tollgate lookups/s | tollgate normalizePath + lookups/s | find-my-way finds/s | ratio | ratio with normalize |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.set} | ${r.kind} | ${r.requests} | ${fmt(r.tollgate)} | ${fmt(r['tollgate+normalize'])} | `
      + `${fmt(r['find-my-way'])} | ${r.ratio.toFixed(2)}x | ${r.ratioNormalized.toFixed(2)}x |`),
    '',
  ];
  const old = existsSync(SAVED_RESULTS) ? readFileSync(SAVED_RESULTS, 'utf8') : '';
  const notes = old.includes(NOTES_MARKER) ? old.slice(old.indexOf(NOTES_MARKER)) : `${NOTES_MARKER}\n`;
  mkdirSync(dirname(RESULTS), { recursive: true });
  writeFileSync(RESULTS, lines.join('\n') + '\n' + notes);
  console.log(`wrote ${relative(process.cwd(), RESULTS)}${SAVE ? '' : ' (git-ignored; --save writes bench/router/results.md)'}`);
}

if (process.argv[2] === '--child') runCase(process.argv[3], process.argv[4], process.argv[5]);
else main();
