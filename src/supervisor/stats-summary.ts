// The SIGUSR2 snapshot: every worker's counts since the previous snapshot, merged into one log
// object. Latency histograms are merged exactly (not the worst worker's quantiles).
import * as hdr from 'hdr-histogram-js';
import type { GatewayConfig } from '../config/types.js';
import { newLatencyHistogram } from '../observability/route-stats.js';
import type { StatusCounts, WorkerStats } from '../worker/messages.js';
import type { TargetSnapshot, UpstreamSnapshot } from './upstream-supervision.js';

interface Merged {
  requests: number;
  failed: number;
  statuses: StatusCounts;
  latencyUs: hdr.Histogram;
}

export interface RouteSummary {
  route: string;
  requests: number;
  rps: number;
  /** 5xx answers (the gateway's own and the upstream's). */
  errors: number;
  statuses: StatusCounts;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface UpstreamSummary {
  upstream: string;
  targets: string[];
  requests: number;
  rps: number;
  /** Calls that got no answer: connect error, timeout, reset. */
  failed: number;
  statuses: StatusCounts;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Each target's health and circuit state (and in-flight count with least-requests), at the snapshot. */
  targetStates?: TargetSnapshot[];
  /** With retry: first tries and retries over the retry budget's window (the last 10 s). */
  retries?: UpstreamSnapshot['retries'];
  /** With discover: lookups, failures and the last error of the DNS discovery. */
  discovery?: UpstreamSnapshot['discovery'];
}

export interface StatsSummary {
  intervalSeconds: number;
  routes: RouteSummary[];
  upstreams: UpstreamSummary[];
}

const emptyMerged = (): Merged => ({
  requests: 0, failed: 0, statuses: { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 }, latencyUs: newLatencyHistogram(),
});

function merge(into: Map<string, Merged>, name: string, part: { requests: number; failed?: number; statuses: StatusCounts; latency: string }): void {
  let m = into.get(name);
  if (m === undefined) {
    m = emptyMerged();
    into.set(name, m);
  }
  m.requests += part.requests;
  m.failed += part.failed ?? 0;
  for (const key of Object.keys(m.statuses) as (keyof StatusCounts)[]) m.statuses[key] += part.statuses[key];
  if (part.requests > 0) m.latencyUs.add(hdr.decodeFromCompressedBase64(part.latency));
}

/** Milliseconds with microsecond decimals (histograms hold microseconds). */
const ms = (h: hdr.Histogram, percentile: number): number => h.getValueAtPercentile(percentile) / 1000;
const rate = (requests: number, seconds: number): number => Math.round((requests / seconds) * 10) / 10;

function figures(m: Merged, seconds: number): { requests: number; rps: number; p50Ms: number; p90Ms: number; p99Ms: number; maxMs: number } {
  const h = m.latencyUs;
  return { requests: m.requests, rps: rate(m.requests, seconds), p50Ms: ms(h, 50), p90Ms: ms(h, 90), p99Ms: ms(h, 99), maxMs: h.maxValue / 1000 };
}

/**
 * Merges the workers' replies for an interval of `seconds`. Every configured upstream is listed,
 * with zeros when it had no calls; routes appear once they served a request. `states` (the
 * supervisor's upstream snapshot) adds each upstream's current targets (discovered ones too) and
 * their health and circuit state.
 */
export function summariseStats(workers: readonly WorkerStats[], config: GatewayConfig, seconds: number, states: readonly UpstreamSnapshot[] = []): StatsSummary {
  const routes = new Map<string, Merged>();
  const upstreams = new Map<string, Merged>();
  for (const w of workers) {
    for (const r of w.routes) merge(routes, r.route, r);
    for (const u of w.upstreams) merge(upstreams, u.upstream, u);
  }
  const interval = Math.max(0.001, seconds);
  return {
    intervalSeconds: Math.round(interval * 10) / 10,
    routes: [...routes].map(([route, m]) => {
      const { requests, rps, ...latency } = figures(m, interval);
      return { route, requests, rps, errors: m.statuses['5xx'], statuses: m.statuses, ...latency };
    }),
    upstreams: Object.entries(config.upstreams).map(([name, u]) => {
      const m = upstreams.get(name) ?? emptyMerged();
      const { requests, rps, ...latency } = figures(m, interval);
      const state = states.find((s) => s.upstream === name);
      const summary: UpstreamSummary = {
        upstream: name, targets: state?.targets.map((t) => t.url) ?? u.targets.map((t) => t.url),
        requests, rps, failed: m.failed, statuses: m.statuses, ...latency,
      };
      if (state === undefined) return summary;
      summary.targetStates = state.targets;
      if (state.retries !== undefined) summary.retries = state.retries;
      if (state.discovery !== undefined) summary.discovery = state.discovery;
      return summary;
    }),
  };
}
