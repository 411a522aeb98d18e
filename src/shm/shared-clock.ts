// The clock of the shared upstream state: milliseconds on CLOCK_MONOTONIC, the same in every
// thread of the process (a worker's performance.timeOrigin is its own start, taken from the wall
// clock, so timeOrigin + performance.now() differs between threads by the wall clock's drift since
// each started; Date.now() jumps with the wall clock). Times written to the upstream-state buffer
// by one thread (a circuit's reopen time, window buckets) are compared by every other.
import { performance } from 'node:perf_hooks';

/** This thread's performance.now() origin on the monotonic clock, measured once. */
const OFFSET = Number(process.hrtime.bigint()) / 1e6 - performance.now();

/** Now, on the shared clock. */
export function sharedNow(): number {
  return performance.now() + OFFSET;
}

/**
 * A performance.now() reading the caller already has, on the shared clock: the request path
 * reuses the readings it takes anyway instead of reading the clock again (~100 ns each on a VM).
 */
export function sharedTime(perfNow: number): number {
  return perfNow + OFFSET;
}
