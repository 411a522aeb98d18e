// The rate-limit stages' per-route refusal counters on one worker: series of
// tollgate_ratelimited_total{route} (metric-catalogue.ts), looked up once when a route's chain is
// compiled and kept by route id across reloads; a refusal costs one increment.
import { RATE_LIMITED } from './metric-catalogue.js';
import type { CounterSeries, MetricsRecorder } from './metrics-recorder.js';

/** One route's requests refused by a rate limit (429) on this worker. */
export type LimitedCounter = CounterSeries;

export class RateLimitCounters {
  constructor(private readonly metrics: MetricsRecorder) {}

  of(route: string): LimitedCounter {
    return this.metrics.counter(RATE_LIMITED, [route]);
  }
}
