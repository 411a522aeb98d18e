// Differential fuzzing of the request path (issue 8): mutated request streams go on raw sockets
// through a real gateway (two workers, default limits) to a recording upstream, and the same
// bytes go to Node's strict parser. Each case must hold the invariants of invariants.ts, and the
// gateway must keep serving. The suite runs a fixed seed for a bounded time and every saved
// regression case; `npm run fuzz` runs longer and saves what fails (test/fuzz/main.ts).
import t from 'tap';
import { FuzzHarness } from './harness.js';
import { loadRegressions } from './regressions.js';
import { replay, runFuzz, type Failure } from './run.js';

const SEED = 20261130;
const CASES = 600;
const BATCH = 50;
/** The generated run stops starting batches after this long (a loaded machine runs fewer cases). */
const BUDGET_MS = 22_000;

let h: FuzzHarness;

t.before(async () => {
  h = await FuzzHarness.start();
});
t.teardown(() => h.stop());

const show = (f: Failure): string =>
  `${f.fuzzCase.origin} ${JSON.stringify(f.fuzzCase.bytes.toString('latin1'))}: ${f.violations.map((v) => `${v.invariant}: ${v.detail}`).join(' | ')}`;

t.test('every saved regression case holds the invariants', async (t) => {
  const regressions = loadRegressions();
  t.ok(regressions.length >= 9, `${regressions.length} saved cases`);
  const failures = await replay(h, regressions.map((r) => r.fuzzCase));
  t.same(failures.map(show), [], 'no saved case breaks an invariant again');
});

t.test(`seed ${SEED}: generated request streams hold every invariant`, async (t) => {
  const report = await runFuzz(h, { seed: SEED, cases: CASES, batchSize: BATCH, deadline: Date.now() + BUDGET_MS });
  const st = report.stats;
  t.comment(`${report.cases} cases in ${report.batches} batches, ${report.ms} ms: ${st.forwarded} requests forwarded, `
    + `${st.strictRejected} inputs refused by the strict parser, ${st.unanswered} unanswered, answers ${JSON.stringify(st.statuses)}`);
  for (const u of report.unconfirmed) t.comment(`suspect in a batch, held alone: ${show(u)}`);
  t.same(report.failures.map(show), [], 'no case breaks an invariant, and the gateway kept serving after every batch');
  t.ok(report.cases >= Math.min(CASES, 4 * BATCH), `ran ${report.cases} of ${CASES} cases`);
  // A run where the gateway refused everything would hold every invariant: check it was exercised.
  t.ok(st.forwarded >= report.cases * 0.12, `requests reached the upstream (${st.forwarded})`);
  t.ok(st.strictRejected >= report.cases * 0.2, `many inputs are malformed (${st.strictRejected})`);
  for (const status of [200, 400, 404, 411]) t.ok((st.statuses[status] ?? 0) > 0, `some answers were ${status}`);
  t.ok(report.unconfirmed.length <= report.cases * 0.02, `few suspects that did not hold up alone (${report.unconfirmed.length})`);
});
