import * as hdr from 'hdr-histogram-js';
import type { StatusCounts, WorkerRouteStats, WorkerStats, WorkerUpstreamStats } from '../worker/messages.js';

/** Latencies in microseconds, up to an hour, 2 significant digits (1% error). */
export function newLatencyHistogram(): hdr.Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 2 });
}

interface Counters {
  requests: number;
  statuses: StatusCounts;
  latencyUs: hdr.Histogram;
}

interface UpstreamCounters extends Counters {
  /** Calls that got no answer at all (connect error, timeout, reset). */
  failed: number;
}

const newStatuses = (): StatusCounts => ({ '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 });

function countStatus(statuses: StatusCounts, status: number): void {
  if (status >= 500) statuses['5xx']++;
  else if (status >= 400) statuses['4xx']++;
  else if (status >= 300) statuses['3xx']++;
  else if (status >= 200) statuses['2xx']++;
  else statuses['1xx']++;
}

const toMicros = (ms: number): number => Math.max(1, Math.round(ms * 1000));

/** Per-route and per-upstream counts and latencies of one worker since the last snapshot (for SIGUSR2). */
export class RouteStats {
  private readonly routes = new Map<string, Counters>();
  private readonly upstreams = new Map<string, UpstreamCounters>();

  /**
   * One finished request. `upstream` is the route's upstream name (null: none), `upstreamMs` -1
   * when no upstream call was made, `upstreamStatus` 0 when the call got no answer.
   */
  record(route: string, status: number, durationMs: number, upstream: string | null, upstreamStatus: number, upstreamMs: number): void {
    let c = this.routes.get(route);
    if (c === undefined) {
      c = { requests: 0, statuses: newStatuses(), latencyUs: newLatencyHistogram() };
      this.routes.set(route, c);
    }
    c.requests++;
    countStatus(c.statuses, status);
    c.latencyUs.recordValue(toMicros(durationMs));
    if (upstream === null || upstreamMs < 0) return;
    let u = this.upstreams.get(upstream);
    if (u === undefined) {
      u = { requests: 0, failed: 0, statuses: newStatuses(), latencyUs: newLatencyHistogram() };
      this.upstreams.set(upstream, u);
    }
    u.requests++;
    if (upstreamStatus === 0) u.failed++;
    else countStatus(u.statuses, upstreamStatus);
    u.latencyUs.recordValue(toMicros(upstreamMs));
  }

  /**
   * Returns the counts since the previous call and starts a new interval. Latencies travel as
   * encoded histograms so the supervisor merges them exactly across workers.
   */
  snapshot(): Omit<WorkerStats, 'rateLimited'> {
    const routes: WorkerRouteStats[] = [];
    for (const [route, c] of this.routes) {
      routes.push({ route, requests: c.requests, statuses: { ...c.statuses }, latency: hdr.encodeIntoCompressedBase64(c.latencyUs) });
      reset(c);
    }
    const upstreams: WorkerUpstreamStats[] = [];
    for (const [upstream, u] of this.upstreams) {
      upstreams.push({
        upstream, requests: u.requests, failed: u.failed, statuses: { ...u.statuses }, latency: hdr.encodeIntoCompressedBase64(u.latencyUs),
      });
      reset(u);
      u.failed = 0;
    }
    return { routes, upstreams };
  }
}

function reset(c: Counters): void {
  c.requests = 0;
  c.statuses = newStatuses();
  c.latencyUs.reset();
}
