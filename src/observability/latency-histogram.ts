// Latency histograms: whole microseconds from 1 µs to 60 s with 3 significant digits (0.1%
// resolution; a longer value is counted as 60 s), in buckets laid out as HdrHistogram lays them
// out (2048 sub-buckets, then 1024 more per power of two), with HdrHistogram's percentiles.
//
// A worker counts its latencies into plain buckets (SummarySeries, metrics-recorder.ts) and
// pushes the buckets that moved as [index, count] pairs; the supervisor adds them into its own
// bucket arrays (BucketHistogram). Earlier both sides used hdr-histogram-js's WebAssembly
// histograms and the push carried a compressed base64 histogram per series: a zlib stream, a
// decoded histogram and the WebAssembly loader's argument arrays per series per second on the
// supervisor, which then collected garbage on the core a worker runs on (issue 16,
// native-bench/PROFILE.md). Counting into a typed array is also cheaper for the worker than a
// call into WebAssembly per request. test/observability/metric-store.test.ts checks the layout
// and the percentiles against hdr-histogram-js itself.

export const LOWEST_US = 1;
export const HIGHEST_US = 60_000_000;

/** Milliseconds (performance.now() differences) to whole microseconds within the tracked range. */
export function toMicros(ms: number): number {
  const us = Math.round(ms * 1000);
  return us < LOWEST_US ? LOWEST_US : us > HIGHEST_US ? HIGHEST_US : us;
}

const SUB_BUCKET_HALF_MAGNITUDE = 10;
const SUB_BUCKET_HALF = 1 << SUB_BUCKET_HALF_MAGNITUDE;
const SUB_BUCKET_MASK = 2 * SUB_BUCKET_HALF - 1;
/** 32 minus the bits of a sub-bucket index (clz32 of a value inside the first bucket). */
const LEADING_ZERO_BASE = 32 - (SUB_BUCKET_HALF_MAGNITUDE + 1);

/** The bucket of a whole number of microseconds within [LOWEST_US, HIGHEST_US] (toMicros). */
export function bucketIndex(us: number): number {
  const bucket = LEADING_ZERO_BASE - Math.clz32(us | SUB_BUCKET_MASK);
  return ((bucket + 1) << SUB_BUCKET_HALF_MAGNITUDE) + (us >>> bucket) - SUB_BUCKET_HALF;
}

/** The highest value of a bucket: what HdrHistogram reports for any value in it. */
export function bucketValue(index: number): number {
  let bucket = (index >> SUB_BUCKET_HALF_MAGNITUDE) - 1;
  let sub = (index & (SUB_BUCKET_HALF - 1)) + SUB_BUCKET_HALF;
  if (bucket < 0) {
    sub -= SUB_BUCKET_HALF;
    bucket = 0;
  }
  // Below 2^27 (HIGHEST_US < 2^26): an integer shift keeps it a small integer, never a boxed double.
  return ((sub + 1) << bucket) - 1;
}

/** How many buckets cover LOWEST_US..HIGHEST_US. */
export const BUCKETS = bucketIndex(HIGHEST_US) + 1;

/**
 * Counts per bucket: the supervisor's lifetime totals (`wide`: Float64Array, which no count
 * outgrows) and its 10-second window slots (Uint32Array).
 */
export class BucketHistogram {
  readonly counts: Float64Array | Uint32Array;
  totalCount = 0;
  /** The highest bucket counted into; -1: none. */
  private high = -1;

  constructor(wide: boolean) {
    this.counts = wide ? new Float64Array(BUCKETS) : new Uint32Array(BUCKETS);
  }

  add(index: number, n: number): void {
    this.counts[index]! += n;
    this.totalCount += n;
    if (index > this.high) this.high = index;
  }

  addAll(other: BucketHistogram): void {
    if (other.totalCount === 0) return;
    const from = other.counts;
    const into = this.counts;
    for (let i = 0; i <= other.high; i++) if (from[i] !== 0) into[i]! += from[i]!;
    this.totalCount += other.totalCount;
    if (other.high > this.high) this.high = other.high;
  }

  reset(): void {
    if (this.high >= 0) this.counts.fill(0, 0, this.high + 1);
    this.totalCount = 0;
    this.high = -1;
  }

  /** The highest value counted (its bucket's highest value, as HdrHistogram reports it); 0 when empty. */
  get maxValue(): number {
    return this.high < 0 ? 0 : bucketValue(this.high);
  }

  /** HdrHistogram's getValueAtPercentile: the bucket where the running count reaches the percentile. */
  getValueAtPercentile(percentile: number): number {
    if (this.totalCount === 0) return 0;
    const fp = (Math.min(percentile, 100) / 100) * this.totalCount;
    // Rounded up, less one ulp of fp, so that fp's own rounding cannot skip a count (as HdrHistogram does).
    const ulp = fp > 0 ? 2 ** (Math.floor(Math.log2(fp)) - 52) : 0;
    const target = Math.max(Math.ceil(fp - ulp), 1);
    let running = 0;
    const c = this.counts;
    for (let i = 0; i <= this.high; i++) {
      running += c[i]!;
      if (running >= target) return bucketValue(i);
    }
    return bucketValue(this.high);
  }
}
