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

/** A histogram as a compact string for postMessage (the HdrHistogram V2 compressed form). */
export function encodeHistogram(h: LatencyHistogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

/** Adds an encoded histogram into `into` (the decoded copy is freed at once). */
export function addEncoded(into: LatencyHistogram, encoded: string): void {
  const decoded = hdr.decodeFromCompressedBase64(encoded, 32, true);
  into.add(decoded);
  decoded.destroy();
}
