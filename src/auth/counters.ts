// The counters the auth stage owns, per worker thread: plain fields the request path adds to,
// moved into the metrics series (tollgate_auth_total{event}) at every metrics push.
import { AUTH_EVENTS } from '../observability/metric-catalogue.js';
import type { MetricsRecorder } from '../observability/metrics-recorder.js';
import type { MetricStore } from '../observability/metric-store.js';
export const AUTH_COUNTERS = [
  /** Requests on an auth route that carried no credential the route accepts (401). */
  'missing',
  'apiKeyAccepted',
  'apiKeyRefused',
  /** Tokens accepted from the token cache, with no signature check. */
  'jwtCached',
  /** Tokens accepted after a signature check. */
  'jwtVerified',
  'jwtRefused',
  /** Signature checks run on the worker thread, and in the verification pool (not those refused for a full queue). */
  'jwtInline',
  'jwtOffloaded',
  /** Requests answered 503 because the verification pool's queue was full. */
  'poolFull',
  /** Requests answered 503 because a provider's keys were not loaded yet. */
  'keysUnavailable',
  /** Requests answered 403 for a missing scope. */
  'insufficientScope',
  /** Unknown-kid refetches this worker asked the supervisor for. */
  'jwksRefetchAsked',
] as const;

export type AuthCounter = (typeof AUTH_COUNTERS)[number];
export type AuthCounters = Record<AuthCounter, number>;

export function newAuthCounters(): AuthCounters {
  return Object.fromEntries(AUTH_COUNTERS.map((c) => [c, 0])) as AuthCounters;
}

/** Worker side: returns what moves the counts into the metrics series (call it before each push). */
export function authCounterFlush(metrics: MetricsRecorder, counters: AuthCounters): () => void {
  const series = AUTH_COUNTERS.map((k) => metrics.counter(AUTH_EVENTS, [k]));
  return () => {
    AUTH_COUNTERS.forEach((k, i) => {
      series[i]!.value += counters[k];
      counters[k] = 0;
    });
  };
}

/** Supervisor side: the totals over all workers since start, for the SIGUSR2 snapshot. */
export function authFigures(store: MetricStore): AuthCounters {
  const out = newAuthCounters();
  for (const f of store.counterFigures(AUTH_EVENTS)) {
    const event = f.labels[0] as AuthCounter;
    if (event in out) out[event] = f.total;
  }
  return out;
}
