// `npm run fuzz`: the request-path fuzzer, run longer than the test suite does. Every failing
// input is written to test/fuzz/regressions/ (one file per case), which the suite replays.
//
//   npm run fuzz                                  # 5 minutes from a time-based seed
//   npm run fuzz -- --minutes 10 --seed 42        # a given seed, for 10 minutes
//   npm run fuzz -- --cases 2000 --batch 60       # a number of cases instead of a time
//   npm run fuzz -- --seed 42 --from 2400 --cases 40   # cases 2400..2439 of seed 42 again
//   npm run fuzz -- --replay                      # only the saved regressions
import { parseArgs } from 'node:util';
import { FuzzHarness } from './harness.js';
import { replay, runFuzz, type Failure } from './run.js';
import { loadRegressions, saveRegression } from './regressions.js';

const USAGE = 'usage: npm run fuzz -- [--seed N] [--minutes M] [--cases N] [--from N] [--batch N] [--replay] [--no-save]';

function numberOption(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) {
    console.error(`--${name} must be a positive number\n${USAGE}`);
    process.exit(2);
  }
  return n;
}

function printFailure(f: Failure): void {
  console.log(`\n${f.fuzzCase.origin}: ${f.violations.map((v) => v.invariant).join(', ')}`);
  for (const m of f.fuzzCase.mutations) console.log(`  mutation  ${m}`);
  console.log(`  input     ${JSON.stringify(f.fuzzCase.bytes.toString('latin1'))}`);
  for (const v of f.violations) console.log(`  ${v.invariant}: ${v.detail}`);
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: {
        seed: { type: 'string' }, minutes: { type: 'string' }, cases: { type: 'string' }, from: { type: 'string' }, batch: { type: 'string' },
        replay: { type: 'boolean' }, 'no-save': { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const seed = args.seed === undefined ? Date.now() % 2 ** 31 : Math.trunc(numberOption(args.seed, 'seed', 1));
  const minutes = numberOption(args.minutes, 'minutes', args.cases === undefined ? 5 : 24 * 60);
  const cases = Math.trunc(numberOption(args.cases, 'cases', Number.MAX_SAFE_INTEGER));
  const batchSize = Math.trunc(numberOption(args.batch, 'batch', 40));
  const from = args.from === undefined ? 0 : Math.trunc(numberOption(args.from, 'from', 1));

  const h = await FuzzHarness.start();
  try {
    const regressions = loadRegressions();
    const replayed = await replay(h, regressions.map((r) => r.fuzzCase));
    for (const f of replayed) printFailure(f);
    const failed = replayed.length;
    console.log(`replayed ${regressions.length} saved regression case(s): ${failed} failing`);
    if (args.replay) return failed > 0 ? 1 : 0;

    console.log(`fuzzing the request path: seed ${seed}${from > 0 ? ` from case ${from}` : ''}, up to ${minutes} minute(s)${cases === Number.MAX_SAFE_INTEGER ? '' : ` or ${cases} cases`}, batches of ${batchSize}`);
    let lastPrint = 0;
    const report = await runFuzz(h, {
      seed, cases, from, batchSize, deadline: Date.now() + minutes * 60_000,
      progress: (done, failures) => {
        if (Date.now() - lastPrint < 10_000) return;
        lastPrint = Date.now();
        console.log(`  ${done} cases, ${failures} failing`);
      },
      // Printed and saved at once: a long run that is stopped keeps what it found.
      failed: (f) => {
        printFailure(f);
        if (!args['no-save']) console.log(`  saved     ${saveRegression(f.fuzzCase, f.violations)}`);
      },
    });
    const st = report.stats;
    console.log(`\n${report.cases} cases in ${report.batches} batches, ${(report.ms / 1000).toFixed(1)} s: ${report.failures.length} failing, ${report.unconfirmed.length} suspect in a batch but not when replayed alone`);
    console.log(`  ${st.forwarded} requests forwarded, ${st.strictRejected} inputs the strict parser refused, ${st.uwsReadings} read differently by uWS, ${st.unanswered} unanswered; answers by status ${JSON.stringify(st.statuses)}`);
    for (const u of report.unconfirmed) console.log(`  unconfirmed ${u.fuzzCase.origin}: ${u.violations.map((v) => v.detail.slice(0, 300)).join(' | ')}`);
    return report.failures.length > 0 || failed > 0 ? 1 : 0;
  } finally {
    await h.stop();
  }
}

if (process.env.TAP === '1') {
  // `tap test/fuzz/` runs every file of the folder: this one is `npm run fuzz`, not a test.
  console.log('1..0 # SKIP the long fuzz run is npm run fuzz');
  process.exit(0);
}

main().then((code) => process.exit(code), (err: unknown) => {
  console.error(err);
  process.exit(1);
});
