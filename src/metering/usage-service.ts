// The supervisor's usage metering: the store (usage-store.ts) and when it is written. A timed
// flush every metering.flushInterval, one after each reload, and one at stop once the workers
// have drained (each pushed its last counts as it did).
import { join } from 'node:path';
import type pino from 'pino';
import type { MetricStore } from '../observability/metric-store.js';
import { USAGE_FLUSHES, USAGE_ROWS_WRITTEN } from './metrics.js';
import type { UsageDelta, UsageRow } from './usage-meter.js';
import { UsageStore, type UsageQuery } from './usage-store.js';
import { QuotaService } from './quota-service.js';

/** The workers, as the usage service sees them. */
export interface UsageWorkers {
  /** Asks every worker to push its counts now; resolves once each has. */
  push(): Promise<void>;
  /** True when a worker holds counts it has not pushed yet (each says so in shared memory). */
  pending(): boolean;
}

export class UsageService {
  private timer: NodeJS.Timeout | null = null;
  /** The quota table, stored in the same env. */
  readonly quotas: QuotaService;

  private constructor(
    private readonly store: UsageStore,
    private readonly workers: UsageWorkers,
    private readonly metrics: MetricStore,
    private readonly log: pino.Logger,
  ) {
    this.quotas = new QuotaService(store);
    for (const result of ['success', 'failure']) metrics.add(USAGE_FLUSHES, [result], 0);
    metrics.add(USAGE_ROWS_WRITTEN, [], 0);
  }

  /** Opens dataDir/usage; throws a message naming the directory. */
  static open(dataDir: string, workers: UsageWorkers, metrics: MetricStore, log: pino.Logger): UsageService {
    const dir = join(dataDir, 'usage');
    try {
      return new UsageService(UsageStore.open(dir), workers, metrics, log);
    } catch (err) {
      throw new Error(`metering: cannot open the usage store (LMDB) at ${dir}: ${(err as Error).message}`);
    }
  }

  /** A worker's push. */
  apply(delta: UsageDelta): void {
    this.store.apply(delta);
  }

  /** (Re)starts the timed flush; a reload may change the interval. */
  schedule(intervalMs: number): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = setInterval(() => this.timedFlush(), intervalMs);
    this.timer.unref();
  }

  /**
   * The timed flush does nothing while nothing was counted (no request from a consumer since the
   * previous one): it would ask every worker for a push and open a write only to find no rows,
   * which under steady traffic without consumers made garbage on the supervisor every interval.
   * A worker's counts pushed since (its one-second push) are in the store's pending rows.
   */
  private timedFlush(): void {
    if (this.workers.pending() || this.store.hasPending()) void this.flush();
  }

  /** Asks the workers for what they counted, then writes it. Never throws: a failed write is retried next time. */
  async flush(): Promise<void> {
    try {
      await this.workers.push();
      await this.write();
    } catch (err) {
      // The batch stays pending and the next flush retries it (counted once: usage-store.ts).
      this.log.error({ err }, 'usage flush to LMDB failed; retried at the next flush');
    }
  }

  /** Stored rows and those not yet written, after the workers pushed theirs. */
  async query(query: UsageQuery): Promise<UsageRow[]> {
    await this.workers.push();
    return this.store.query(query);
  }

  /** At stop, after the workers drained: writes what is pending and closes the env. */
  async close(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    try {
      await this.write();
    } catch (err) {
      this.log.error({ err }, 'usage flush to LMDB failed at stop: the counts since the last flush are lost');
    }
    await this.store.close().catch((err: Error) => this.log.error({ err }, 'closing the usage store (LMDB) failed'));
  }

  private async write(): Promise<void> {
    try {
      const rows = await this.store.flush();
      if (rows === 0) return;
      this.metrics.add(USAGE_FLUSHES, ['success']);
      this.metrics.add(USAGE_ROWS_WRITTEN, [], rows);
    } catch (err) {
      this.metrics.add(USAGE_FLUSHES, ['failure']);
      throw err;
    }
  }
}
