import * as hdr from 'hdr-histogram-js';
import type { WorkerRouteStats } from '../worker/messages.js';

interface RouteCounters {
  requests: number;
  errors: number;
  latencyUs: hdr.Histogram;
}

/** Per-route counts and latency of one worker since the last snapshot (for SIGUSR2). */
export class RouteStats {
  private readonly routes = new Map<string, RouteCounters>();

  record(route: string, status: number, durationMs: number): void {
    let c = this.routes.get(route);
    if (c === undefined) {
      c = {
        requests: 0,
        errors: 0,
        latencyUs: hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 2 }),
      };
      this.routes.set(route, c);
    }
    c.requests++;
    if (status >= 500) c.errors++;
    c.latencyUs.recordValue(Math.max(1, Math.round(durationMs * 1000)));
  }

  /** Returns the counts since the previous call and starts a new interval. */
  snapshot(): WorkerRouteStats[] {
    const out: WorkerRouteStats[] = [];
    for (const [route, c] of this.routes) {
      out.push({
        route,
        requests: c.requests,
        errors: c.errors,
        p50: c.latencyUs.getValueAtPercentile(50) / 1000,
        p99: c.latencyUs.getValueAtPercentile(99) / 1000,
      });
      c.requests = 0;
      c.errors = 0;
      c.latencyUs.reset();
    }
    return out;
  }
}
