import { accessSlot } from '../shm/cache-layout.js';
import type { CacheStore, IndexedKey } from './store.js';

/** How often the supervisor compares the pages in use with cache.maxSize (one O(1) LMDB stat). */
export const CHECK_INTERVAL_MS = 1_000;
/** How often expired entries are removed even when the cache is within its bound. */
const SWEEP_INTERVAL_MS = 60_000;
/** Eviction brings the pages in use down to this share of maxSize, so it does not run on every check. */
const LOW_WATER = 0.9;
/** Index records read per turn of the supervisor's event loop. */
const SCAN_BATCH = 10_000;

export interface EvictionRun {
  usedBefore: number;
  expired: number;
  evicted: number;
}

export interface EvictorLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * Keeps the cache within cache.maxSize. It runs on the supervisor's thread, the one thread that
 * serves no requests, from one timer: a check reads LMDB's page counts; past maxSize, a pass reads
 * the small index records (never the answers), removes every expired entry, then the least
 * recently used (the shared access clock, shm/cache-layout.ts, else the time stored) until the
 * pages in use are back under LOW_WATER. Removals are asynchronous LMDB writes: workers go on
 * reading their snapshots meanwhile, and an entry removed between a worker's lookup and its
 * answer was still a whole entry in that snapshot.
 */
export class Evictor {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private lastSweep = 0;

  constructor(
    private readonly store: CacheStore,
    private readonly words: Int32Array,
    private readonly log: EvictorLog,
    /** cache.maxSize; a reload may change it. */
    public maxSize: number,
  ) {}

  start(): void {
    if (this.timer !== null) return;
    this.lastSweep = Date.now();
    this.timer = setInterval(() => void this.check(), CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** One check, and a pass when over the bound or due for a sweep; null when nothing ran. */
  async check(now = Date.now()): Promise<EvictionRun | null> {
    if (this.running) return null;
    const used = this.store.usedBytes();
    const sweep = now - this.lastSweep >= SWEEP_INTERVAL_MS;
    if (used <= this.maxSize && !sweep) return null;
    this.running = true;
    try {
      if (sweep) this.lastSweep = now;
      const run = await this.pass(used, now);
      if (run.evicted > 0 || run.expired > 0) this.log.info({ ...run, maxSize: this.maxSize }, 'cache: entries evicted');
      return run;
    } catch (err) {
      this.log.warn({ err }, 'cache: eviction failed');
      return null;
    } finally {
      this.running = false;
    }
  }

  private async pass(used: number, now: number): Promise<EvictionRun> {
    const records = await this.readIndex();
    const expired: string[] = [];
    const live: IndexedKey[] = [];
    let recorded = 0;
    for (const r of records) {
      recorded += r.size;
      if (r.keepUntil <= now) expired.push(r.key);
      else live.push(r);
    }
    const evicted: string[] = [];
    const target = this.maxSize * LOW_WATER;
    if (used > this.maxSize && live.length > 0) {
      // Pages hold more than the records say (page headers, half-full pages, the index): scale.
      const scale = recorded > 0 ? used / recorded : 1;
      let remaining = live.reduce((sum, r) => sum + r.size, 0) * scale;
      live.sort((a, b) => this.lastUse(a) - this.lastUse(b));
      for (const r of live) {
        if (remaining <= target) break;
        evicted.push(r.key);
        remaining -= r.size * scale;
      }
    }
    if (expired.length > 0 || evicted.length > 0) await this.store.removeKeys(expired.concat(evicted));
    return { usedBefore: used, expired: expired.length, evicted: evicted.length };
  }

  /**
   * Every index record, read in batches with a turn of the event loop between them: the
   * supervisor's thread also answers the admin API and the workers' messages, and a million
   * records take about a second to read. Entries stored or removed meanwhile may be missed or
   * seen removed: the next pass sees them.
   */
  private async readIndex(): Promise<IndexedKey[]> {
    const all: IndexedKey[] = [];
    let after: string | null = null;
    for (;;) {
      const batch = this.store.scanIndexBatch(after, SCAN_BATCH);
      for (const r of batch) all.push(r);
      if (batch.length < SCAN_BATCH) return all;
      after = batch[batch.length - 1]!.key;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /**
   * Epoch ms of the entry's last use: served or stored. The access clock counts whole seconds; a
   * key served in second S counts as used at its end, so that it ranks after the keys stored
   * during S (the clock may only ever delay an eviction).
   */
  private lastUse(r: IndexedKey): number {
    const served = Atomics.load(this.words, accessSlot(r.hash)) >>> 0;
    return served === 0 ? r.storedAt : Math.max((served + 1) * 1000, r.storedAt);
  }
}
