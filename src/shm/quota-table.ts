// Quotas (plans.NAME.quota): one 64-bit word per consumer with a quota, in a SharedArrayBuffer
// every worker and the supervisor share. The word holds the consumer's current period (high 32
// bits) and the requests its quota admitted in it (low 32 bits); a request charges it with one
// compare-and-swap, so the count is exact across workers at any moment, counts not yet flushed
// included. A word whose period is not the request's is a new period: the swap starts it at 1.
// The supervisor assigns the slots (by consumer name, stable across reloads), writes the words
// to LMDB with every usage flush, and seeds them from there at start (metering/quota-service.ts).

export type QuotaPeriod = 'day' | 'month';

/** Consumers with a quota the table has room for; over it a start or reload is refused. */
export const QUOTA_CAPACITY = 65_536;
const DAY_MS = 86_400_000;
/** Month periods are numbered above any day number (days since 1970 stay below a million until 4707). */
const MONTH_BASE = 1_000_000;
const LOW = 0xffffffffn;

/** The number of the UTC period `ms` falls in; day and month numbers never collide. */
export function periodOf(ms: number, period: QuotaPeriod): number {
  if (period === 'day') return Math.floor(ms / DAY_MS);
  const d = new Date(ms);
  return MONTH_BASE + d.getUTCFullYear() * 12 + d.getUTCMonth();
}

/** When the UTC period `ms` falls in ends (the next one starts), in ms. */
export function periodEnd(ms: number, period: QuotaPeriod): number {
  if (period === 'day') return (Math.floor(ms / DAY_MS) + 1) * DAY_MS;
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/** The length of the period `ms` falls in, in whole seconds (RateLimit-Policy's w). */
export function periodSeconds(ms: number, period: QuotaPeriod): number {
  if (period === 'day') return DAY_MS / 1000;
  const d = new Date(ms);
  return (Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) - Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)) / 1000;
}

/**
 * The clock quotas run on: the wall clock, moved by TOLLGATE_TEST_CLOCK_OFFSET_MS only when
 * fault injection (test-only, TOLLGATE_FAULT_INJECTION=1) is on, so that a test can put the
 * gateway seconds before a period boundary.
 */
export function quotaClock(faultInjection: boolean): () => number {
  const offset = faultInjection ? Number(process.env.TOLLGATE_TEST_CLOCK_OFFSET_MS ?? 0) : 0;
  if (!Number.isFinite(offset) || offset === 0) return Date.now;
  return () => Date.now() + offset;
}

export class QuotaTable {
  private readonly words: BigInt64Array;

  constructor(readonly buffer: SharedArrayBuffer) {
    this.words = new BigInt64Array(buffer);
  }

  static create(): QuotaTable {
    return new QuotaTable(new SharedArrayBuffer(QUOTA_CAPACITY * 8));
  }

  /** Counts one request in `period` unless `limit` are counted already: the count after it, or -1 (refused). */
  charge(slot: number, period: number, limit: number): number {
    for (;;) {
      const old = Atomics.load(this.words, slot);
      const count = Number(old >> 32n) === period ? Number(old & LOW) : 0;
      if (count >= limit) return -1;
      const next = (BigInt(period) << 32n) | BigInt(count + 1);
      if (Atomics.compareExchange(this.words, slot, old, next) === old) return count + 1;
    }
  }

  /** The requests counted in `period` (0 when the slot holds another period). */
  count(slot: number, period: number): number {
    const word = Atomics.load(this.words, slot);
    return Number(word >> 32n) === period ? Number(word & LOW) : 0;
  }

  /** The slot's period and count, as stored. */
  read(slot: number): [period: number, count: number] {
    const word = Atomics.load(this.words, slot);
    return [Number(word >> 32n), Number(word & LOW)];
  }

  /** Sets a slot (seeding at start, before any worker runs). */
  write(slot: number, period: number, count: number): void {
    Atomics.store(this.words, slot, (BigInt(period) << 32n) | BigInt(count));
  }
}
