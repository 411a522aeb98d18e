// A sliding window of counters in shared memory, written by every worker of a node: BUCKETS
// buckets of `bucketMs` each (layout in upstream-state-layout.ts), reused round-robin. Each bucket
// holds the window index it counts for, a count and a marked count (failures, retries).
import { BUCKETS, BUCKET_WORDS, B_COUNT, B_ID, B_MARKED } from './upstream-state-layout.js';

/** The window index of `nowMs`: buckets count from the buffer's base time. */
export function bucketId(nowMs: number, baseMs: number, bucketMs: number): number {
  return Math.floor((nowMs - baseMs) / bucketMs);
}

/**
 * The word offset of the bucket for window index `id`, claimed for it first when it still holds
 * an older index. The claim is a compareExchange on B_ID, so one worker zeroes the counts; a
 * worker that adds between that claim and the zeroing loses its add. That drops at most one
 * sample per worker per bucket, which a rate over a window of many samples does not feel; a lock
 * on the request path would cost more than it saves.
 */
export function claimBucket(words: Int32Array, start: number, id: number): number {
  const at = start + (id % BUCKETS) * BUCKET_WORDS;
  const seen = Atomics.load(words, at + B_ID);
  if (seen !== id && Atomics.compareExchange(words, at + B_ID, seen, id) === seen) {
    Atomics.store(words, at + B_COUNT, 0);
    Atomics.store(words, at + B_MARKED, 0);
  }
  return at;
}

/** Adds one sample to the current bucket, `marked` when it is a failure (or a retry). */
export function countSample(words: Int32Array, start: number, id: number, marked: boolean): void {
  const at = claimBucket(words, start, id);
  Atomics.add(words, at + B_COUNT, 1);
  if (marked) Atomics.add(words, at + B_MARKED, 1);
}

/** Sums of the buckets inside the window ending at index `id` (the current one included). */
export interface WindowSums {
  count: number;
  marked: number;
}

export function sumWindow(words: Int32Array, start: number, id: number, out: WindowSums): WindowSums {
  let count = 0;
  let marked = 0;
  for (let b = 0; b < BUCKETS; b++) {
    const at = start + b * BUCKET_WORDS;
    const bid = Atomics.load(words, at + B_ID);
    if (bid <= id - BUCKETS || bid > id) continue;
    count += Atomics.load(words, at + B_COUNT);
    marked += Atomics.load(words, at + B_MARKED);
  }
  out.count = count;
  out.marked = marked;
  return out;
}

/** Empties the window (every bucket forgets its index). */
export function clearWindow(words: Int32Array, start: number): void {
  for (let b = 0; b < BUCKETS; b++) Atomics.store(words, start + b * BUCKET_WORDS + B_ID, -1);
}
