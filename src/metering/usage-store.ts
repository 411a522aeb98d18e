// The supervisor's side of usage metering: the single writer of the LMDB env under
// dataDir/usage. Workers count in memory (usage-meter.ts) and send what they counted with each
// metrics push (every second, when asked, when draining, and when one crashes); this store adds
// those rows up in `pending` and writes them to LMDB every metering.flushInterval, on reload
// and on SIGTERM/SIGINT after the workers drained.
//
// Why the supervisor and not each worker: LMDB has one writer per env at a time; one process-wide
// writer makes each flush one transaction, keeps the query (GET /usage) in the same process as
// the counts not yet written, and lets a flush ask the workers to push first, so what LMDB holds
// after a flush is every request finished before it (a SIGKILL loses at most one interval).
//
// Idempotency: every flush is a batch numbered (this supervisor's run id, batch sequence). The
// transaction that adds a batch's rows also records the run's last batch number, and skips a
// batch whose number it already holds; a flush that failed (or seemed to) is retried with the
// same batch, so it is counted once whether or not the first commit landed. Worker pushes carry
// (worker run, sequence) in the same way, and a sequence already seen is dropped.
import { mkdirSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { open, type Database, type RootDatabase } from 'lmdb';
import { usageKey, type UsageDelta, type UsageRow } from './usage-meter.js';

/** requests, bytesIn, bytesOut */
type Counts = [number, number, number];
/** consumer, day, route, status class: a consumer's days sort together for range reads. */
type RowKey = [string, string, string, string];

export type QuotaWord = [consumer: string, period: number, count: number];

interface Batch {
  seq: number;
  rows: UsageRow[];
}

export interface UsageQuery {
  consumer: string;
  /** Inclusive UTC dates, YYYY-MM-DD. */
  from: string;
  to: string;
  route: string | null;
}

export class UsageStore {
  private pending = new Map<string, UsageRow>();
  /** Taken from `pending`, not yet known to be committed: retried as it is. */
  private batch: Batch | null = null;
  private batches = 0;
  private readonly seen = new Map<string, number>();
  private chain: Promise<unknown> = Promise.resolve();
  /** This supervisor's run: names its batches in the `flushes` table. */
  readonly run = randomUUID();

  /** The quota words to store with each batch (metering/quota-service.ts): consumer, period, count. */
  private quotaSnapshot: () => QuotaWord[] = () => [];

  private constructor(
    private readonly root: RootDatabase,
    private readonly rows: Database<Counts, RowKey>,
    private readonly flushes: Database<number, string>,
    private readonly quotas: Database<[number, number], string>,
  ) {}

  static open(dir: string): UsageStore {
    mkdirSync(dir, { recursive: true });
    const root = open({ path: dir, maxDbs: 4 });
    return new UsageStore(root, root.openDB<Counts, RowKey>({ name: 'usage' }), root.openDB<number, string>({ name: 'flushes' }),
      root.openDB<[number, number], string>({ name: 'quotas' }));
  }

  /**
   * Stores the quota words with every batch, in its transaction. A request is charged to its
   * quota when it starts and metered when it ends, so the words written with a batch include the
   * charge of every request in it: quota state is as durable as usage.
   */
  setQuotaSnapshot(snapshot: () => QuotaWord[]): void {
    this.quotaSnapshot = snapshot;
  }

  /** A consumer's stored quota word: its period and count. */
  storedQuota(consumer: string): [number, number] | undefined {
    return this.quotas.get(consumer);
  }

  /** A worker's push; one whose (run, seq) was already applied is dropped. */
  apply(delta: UsageDelta): void {
    if ((this.seen.get(delta.run) ?? 0) >= delta.seq) return;
    this.seen.set(delta.run, delta.seq);
    for (const row of delta.rows) addRow(this.pending, row);
  }

  /** Writes what is pending; resolves with the rows written (0: nothing to write). Flushes run one at a time. */
  /** True when rows are waiting for a flush (pushed and not written, or a batch to retry). */
  hasPending(): boolean {
    return this.pending.size > 0 || this.batch !== null;
  }

  flush(): Promise<number> {
    const run = this.chain.then(() => this.flushOnce(), () => this.flushOnce());
    this.chain = run;
    return run;
  }

  private async flushOnce(): Promise<number> {
    if (this.batch === null) {
      if (this.pending.size === 0) return 0;
      this.batch = { seq: ++this.batches, rows: [...this.pending.values()] };
      this.pending = new Map();
    }
    const batch = this.batch;
    await this.writeBatch(batch);
    this.batch = null;
    return batch.rows.length;
  }

  /** Adds a batch's rows in one transaction, unless the batch was committed before. Resolves with whether it wrote. */
  writeBatch(batch: Batch): Promise<boolean> {
    return this.root.transaction(() => {
      if ((this.flushes.get(this.run) ?? 0) >= batch.seq) return false;
      for (const row of batch.rows) {
        const key: RowKey = [row.consumer, row.day, row.route, row.statusClass];
        const had = this.rows.get(key) ?? [0, 0, 0];
        void this.rows.put(key, [had[0] + row.requests, had[1] + row.bytesIn, had[2] + row.bytesOut]);
      }
      void this.flushes.put(this.run, batch.seq);
      for (const [consumer, period, count] of this.quotaSnapshot()) void this.quotas.put(consumer, [period, count]);
      return true;
    });
  }

  /** Stored rows plus those not yet written, sorted by day, route and status class. */
  query(q: UsageQuery): UsageRow[] {
    const out = new Map<string, UsageRow>();
    const wanted = (row: UsageRow): boolean => row.consumer === q.consumer && row.day >= q.from && row.day <= q.to && (q.route === null || row.route === q.route);
    // '~' sorts after every digit: the range ends after the last key of day `to`.
    for (const { key, value } of this.rows.getRange({ start: [q.consumer, q.from], end: [q.consumer, `${q.to}~`] })) {
      const [consumer, day, route, statusClass] = key;
      const row: UsageRow = { consumer, route, day, statusClass, requests: value[0], bytesIn: value[1], bytesOut: value[2] };
      if (wanted(row)) addRow(out, row);
    }
    // A batch whose commit landed while its flush has not resumed yet is in the rows read above
    // (the reads of one synchronous call share one LMDB snapshot).
    const batch = this.batch !== null && (this.flushes.get(this.run) ?? 0) < this.batch.seq ? this.batch.rows : [];
    for (const row of [...this.pending.values(), ...batch]) if (wanted(row)) addRow(out, row);
    return [...out.values()].sort((a, b) => compare(a.day, b.day) || compare(a.route, b.route) || compare(a.statusClass, b.statusClass));
  }

  /** Closes the env once a flush under way ended; what is still pending is not written (flush first). */
  async close(): Promise<void> {
    await this.chain.catch(() => {});
    await this.root.close();
  }
}

function addRow(into: Map<string, UsageRow>, row: UsageRow): void {
  const key = usageKey(row.consumer, row.route, row.day, row.statusClass);
  const had = into.get(key);
  if (had === undefined) {
    into.set(key, { ...row });
    return;
  }
  had.requests += row.requests;
  had.bytesIn += row.bytesIn;
  had.bytesOut += row.bytesOut;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
