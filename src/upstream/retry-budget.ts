// The retry budget of one upstream, shared by the workers of a node through its upstream slot
// (shm/upstream-state-layout.ts): over the last BUCKETS seconds, retries may number at most
// `ratio` of the first tries, or `minRetries`, whichever is more.
import * as L from '../shm/upstream-state-layout.js';
import { bucketId, claimBucket, countSample, sumWindow, type WindowSums } from '../shm/sliding-window.js';

/** One-second buckets: the budget is taken over the last 10 s. */
export const BUDGET_BUCKET_MS = 1_000;
export const BUDGET_WINDOW_MS = BUDGET_BUCKET_MS * L.BUCKETS;

const sums: WindowSums = { count: 0, marked: 0 };

export class RetryBudget {
  private readonly words: Int32Array;
  private readonly baseMs: number;
  private readonly base: number;
  private readonly start: number;

  constructor(views: L.UpstreamStateViews, slot: number, private readonly epoch: number, private readonly ratio: number, private readonly minRetries: number) {
    this.words = views.words;
    this.baseMs = views.baseMs;
    this.base = L.upstreamBase(slot);
    this.start = this.base + L.U_BUCKETS;
  }

  /** A first try: it adds to what retries may take. */
  noteRequest(now: number): void {
    if (Atomics.load(this.words, this.base + L.U_EPOCH) !== this.epoch) return;
    countSample(this.words, this.start, bucketId(now, this.baseMs, BUDGET_BUCKET_MS), false);
  }

  /**
   * Takes one retry from the budget, or says there is none left. The retry is counted by a
   * compareExchange on the current bucket against the total allowed, so workers retrying at the
   * same moment cannot all pass one check and overdraw the budget together.
   */
  tryRetry(now: number): boolean {
    const w = this.words;
    if (Atomics.load(w, this.base + L.U_EPOCH) !== this.epoch) return false;
    const id = bucketId(now, this.baseMs, BUDGET_BUCKET_MS);
    const at = claimBucket(w, this.start, id) + L.B_MARKED;
    sumWindow(w, this.start, id, sums);
    const allowed = Math.max(this.minRetries, Math.floor(this.ratio * sums.count));
    let current = Atomics.load(w, at);
    const earlier = sums.marked - current;
    for (;;) {
      if (earlier + current >= allowed) return false;
      const seen = Atomics.compareExchange(w, at, current, current + 1);
      if (seen === current) return true;
      current = seen;
    }
  }

  /** Retries taken over the window (for the stats snapshot). */
  static retriesInWindow(views: L.UpstreamStateViews, slot: number, now: number): { requests: number; retries: number } {
    const out = sumWindow(views.words, L.upstreamBase(slot) + L.U_BUCKETS, bucketId(now, views.baseMs, BUDGET_BUCKET_MS), { count: 0, marked: 0 });
    return { requests: out.count, retries: out.marked };
  }
}
