// One fuzz run: cases of one seed in concurrent batches, a liveness check after each batch, and a
// solo replay of every suspect. Shared by the in-suite test (fixed seed, bounded) and
// `npm run fuzz` (longer, writes what fails to test/fuzz/regressions/).
import { generateCase, type FuzzCase } from './generate.js';
import { BATCH_LIMITS, emptyStats, type BatchStats, type FuzzHarness } from './harness.js';
import type { Violation } from './invariants.js';

export interface RunOptions {
  seed: number;
  /** The first case number (to go back to a case a long run found); 0 by default. */
  from?: number;
  /** Stop after this many cases... */
  cases: number;
  /** ...or once this much time has passed (the batch under way finishes). */
  deadline: number;
  batchSize: number;
  /** Called after each batch. */
  progress?: (done: number, failures: number) => void;
  /** Called with each failure once it is confirmed. */
  failed?: (f: Failure) => void;
}

export interface Failure {
  fuzzCase: FuzzCase;
  violations: Violation[];
}

export interface RunReport {
  cases: number;
  batches: number;
  /** Confirmed by a solo replay (or the gateway broke). */
  failures: Failure[];
  /** Looked wrong in a batch but held when replayed alone twice (timing under load). */
  unconfirmed: Failure[];
  stats: BatchStats;
  ms: number;
}

const REPLAYS = 2;

/** Replays one case alone; the violations of the first replay that shows any. */
export async function confirm(h: FuzzHarness, c: FuzzCase): Promise<Violation[]> {
  for (let n = 0; n < REPLAYS; n++) {
    const found = await h.runSolo(c);
    const alive = await h.checkAlive();
    if (found.length > 0 || alive.length > 0) return [...found, ...alive];
  }
  return [];
}

/** A case, or an error that says which one the generator failed on (a bug in the fuzzer). */
function generated(seed: number, index: number): FuzzCase {
  try {
    return generateCase(seed, index);
  } catch (err) {
    throw new Error(`the generator failed on seed ${seed} case ${index}: ${(err as Error).stack ?? String(err)}`);
  }
}

export async function runFuzz(h: FuzzHarness, opts: RunOptions): Promise<RunReport> {
  const started = Date.now();
  const report: RunReport = { cases: 0, batches: 0, failures: [], unconfirmed: [], stats: emptyStats(), ms: 0 };
  let next = opts.from ?? 0;
  const end = next + opts.cases;
  while (next < end && Date.now() < opts.deadline) {
    const batch: FuzzCase[] = [];
    for (; batch.length < opts.batchSize && next < end; next++) batch.push(generated(opts.seed, next));
    const suspects = await h.runBatch(batch, report.stats);
    report.cases += batch.length;
    report.batches++;
    const alive = await h.checkAlive();
    if (alive.length > 0) {
      await findCulprit(h, batch, alive, report);
      opts.failed?.(report.failures[report.failures.length - 1]!);
    }
    for (const [c, seen] of suspects) {
      if (report.failures.some((f) => f.fuzzCase === c)) continue;
      const violations = await confirm(h, c);
      if (violations.length > 0) {
        report.failures.push({ fuzzCase: c, violations });
        opts.failed?.(report.failures[report.failures.length - 1]!);
      } else {
        report.unconfirmed.push({ fuzzCase: c, violations: seen });
      }
    }
    opts.progress?.(report.cases, report.failures.length);
  }
  report.ms = Date.now() - started;
  return report;
}

/**
 * Replays saved cases one at a time (each finds idle upstream connections, as in the busy run
 * that found it) with the batch's time limits; one that fails is confirmed with generous ones.
 */
export async function replay(h: FuzzHarness, cases: readonly FuzzCase[]): Promise<Failure[]> {
  const failures: Failure[] = [];
  for (const c of cases) {
    if ((await h.runSolo(c, BATCH_LIMITS)).length === 0) continue;
    const violations = await confirm(h, c);
    if (violations.length > 0) failures.push({ fuzzCase: c, violations });
  }
  return failures;
}

/** The gateway broke during a batch: replay its cases one by one until one breaks it again. */
async function findCulprit(h: FuzzHarness, batch: readonly FuzzCase[], seen: Violation[], report: RunReport): Promise<void> {
  await h.revive();
  for (const c of batch) {
    const violations = await confirm(h, c);
    if (violations.some((v) => v.invariant === 'gateway-alive')) {
      report.failures.push({ fuzzCase: c, violations });
      await h.revive();
      return;
    }
  }
  // Not reproduced by any single case: still a failure, reported against the whole batch.
  report.failures.push({ fuzzCase: batch[0]!, violations: [...seen, { invariant: 'gateway-alive', detail: `not reproduced by any single case of the batch (cases ${batch[0]!.index}..${batch[batch.length - 1]!.index})` }] });
}
