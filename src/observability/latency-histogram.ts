// The one module that names hdr-histogram-js. Latencies are whole microseconds from 1 µs to
// 60 s with 3 significant digits (0.1% resolution); a longer value is counted as 60 s.
//
// The WebAssembly build: recordValue costs ~17-55 ns against ~100 ns for the JavaScript one
// (Math.log2 and Math.pow per value), and decoding and adding, which the supervisor does for
// every worker's push, cost a third. Each thread compiles the module once (~30 ms, at import:
// a spare thread has paid it before it takes a slot). A WebAssembly histogram lives in the
// module's memory, not the JS heap: one that is dropped must be destroy()ed.
import * as hdr from 'hdr-histogram-js';

hdr.initWebAssemblySync();

export type LatencyHistogram = hdr.Histogram;

export const LOWEST_US = 1;
export const HIGHEST_US = 60_000_000;
export const SIGNIFICANT_DIGITS = 3;

export function newLatencyHistogram(): LatencyHistogram {
  return hdr.build({
    lowestDiscernibleValue: LOWEST_US,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: SIGNIFICANT_DIGITS,
    bitBucketSize: 32,
    useWebAssembly: true,
  });
}

/** Milliseconds (performance.now() differences) to whole microseconds within the tracked range. */
export function toMicros(ms: number): number {
  const us = Math.round(ms * 1000);
  return us < LOWEST_US ? LOWEST_US : us > HIGHEST_US ? HIGHEST_US : us;
}

// A worker counts its latencies into plain buckets laid out as HdrHistogram lays out the
// histograms above (1 us to 60 s, 3 significant digits: 2048 sub-buckets, two per power of two
// past the first), and pushes the buckets that moved as [index, count] pairs; the supervisor adds
// each as bucketValue(index) with its count into its histograms, which lands in the same bucket.
// No encoding, compression or decoding on either side, and no garbage: the push was an encoded
// histogram string per series, which cost the supervisor a decode (a zlib stream, a histogram)
// per series per second (native-bench/PROFILE.md).
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

/**
 * The highest value of a bucket (what a histogram reports for any value in it, its max
 * included): recorded into a histogram, it counts in that same bucket.
 */
export function bucketValue(index: number): number {
  let bucket = (index >> SUB_BUCKET_HALF_MAGNITUDE) - 1;
  let sub = (index & (SUB_BUCKET_HALF - 1)) + SUB_BUCKET_HALF;
  if (bucket < 0) {
    sub -= SUB_BUCKET_HALF;
    bucket = 0;
  }
  return (sub + 1) * 2 ** bucket - 1;
}

/** How many buckets cover LOWEST_US..HIGHEST_US. */
export const BUCKETS = bucketIndex(HIGHEST_US) + 1;
