// The figures of GET /dashboard/data, the one endpoint the dashboard page polls. They come from
// what the supervisor already holds: the MetricStore the workers push into every second, read as
// it is (no 'metrics-flush' to the workers: a page polling every second must not reach the
// threads that serve requests), the shared upstream state (health, circuits) and the pool's
// worker words. So an open page costs the supervisor's thread one snapshot per poll and nothing
// on the request path; its figures are at most one push (about a second) old.
//
// Live rates and the charts need more than the store's one-minute window of 10-second slots: a
// timer samples the running totals every SAMPLE_MS into a ring of HISTORY_POINTS (the last five
// minutes), whether or not a page is open, so a page opened after an incident shows the minutes
// before it. A sample sums a few counters' series (no histogram is merged): a few microseconds
// per route every two seconds.
import type { GatewayConfig } from '../../config/types.js';
import { RATE_LIMITED, REQUESTS } from '../../observability/metric-catalogue.js';
import type { MetricDef } from '../../observability/metric-def.js';
import type { MetricStore } from '../../observability/metric-store.js';
import { QUOTA_EXCEEDED } from '../../metering/metrics.js';
import { CACHE_RESULTS } from '../../stages/cache/metrics.js';
import { statsSnapshot, withUpstreamStates, type WorkerState } from '../stats-snapshot.js';
import type { UpstreamSnapshot } from '../upstream-supervision.js';

export const SAMPLE_MS = 2_000;
export const HISTORY_POINTS = 150;
/** Live rates are taken over at least this span (or since the oldest sample, when younger). */
export const RATE_SPAN_MS = 5_000;

/** What the feed reads; each call reads the current state (the config changes on reload). */
export interface DashboardSources {
  store: MetricStore;
  config(): GatewayConfig;
  generation(): number;
  ready(): boolean;
  workers(): WorkerState[];
  upstreams(): readonly UpstreamSnapshot[];
}

/** Running totals since start, by route where the counter has a route label. */
interface Totals {
  time: number;
  requests: number;
  errors: number;
  rateLimited: number;
  quotaExceeded: number;
  cacheHits: number;
  cacheAnswers: number;
  routes: Map<string, { requests: number; errors: number }>;
}

/** One chart point: the rates between two samples, per second. */
export interface HistoryPoint {
  /** Milliseconds since the epoch, at the end of the interval. */
  t: number;
  rps: number;
  errors: number;
  limited: number;
  cacheHits: number;
}

export interface DashboardRoute {
  id: string;
  path: string;
  upstream: string | null;
  /** Requests per second over the last RATE_SPAN_MS or so. */
  rps: number;
  /** Over the last minute (the store's window): requests, 5xx answers, their share, latency quantiles. */
  requests: number;
  errors: number;
  errorRate: number;
  p50Ms: number;
  p99Ms: number;
  rateLimited: number;
  quotaExceeded: number;
  /** (hit + stale) / all cache answers over the last minute; null when the route has none. */
  cacheHitRatio: number | null;
  /** The route's requests per second at each history point (the same times as `history`). */
  spark: number[];
}

export interface DashboardTarget {
  url: string;
  health: 'up' | 'down';
  circuit: string;
  inFlight: number;
  connections: number;
}

export interface DashboardData {
  time: number;
  generation: number;
  ready: boolean;
  windowSeconds: number;
  /** The history's sampling interval and the span it keeps. */
  sampleMs: number;
  historyMs: number;
  totals: {
    rps: number;
    requests: number;
    errors: number;
    errorRate: number;
    rateLimited: number;
    quotaExceeded: number;
    cacheHitRatio: number | null;
    workersServing: number;
    workers: number;
  };
  routes: DashboardRoute[];
  upstreams: { upstream: string; balance: string; rps: number; p99Ms: number; targets: DashboardTarget[] }[];
  workers: { index: number; state: string; generation: number; inFlight: number; heapUsedMiB: number | null; eventLoopUtilization: number | null }[];
  history: HistoryPoint[];
}

const round = (n: number, digits: number): number => Math.round(n * 10 ** digits) / 10 ** digits;
const ratio = (part: number, whole: number): number | null => (whole > 0 ? round(part / whole, 4) : null);
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

/** The totals since start of the counter's series that `keep` accepts, summed. */
function sumTotals(store: MetricStore, def: MetricDef, keep: (labels: readonly string[]) => boolean = () => true): number {
  let n = 0;
  for (const c of store.counterFigures(def)) if (keep(c.labels)) n += c.total;
  return n;
}

function readTotals(store: MetricStore, time: number): Totals {
  const routes = new Map<string, { requests: number; errors: number }>();
  let requests = 0;
  let errors = 0;
  for (const c of store.counterFigures(REQUESTS)) {
    const route = c.labels[0]!;
    const isError = c.labels[2]?.startsWith('5') === true;
    let r = routes.get(route);
    if (r === undefined) routes.set(route, (r = { requests: 0, errors: 0 }));
    r.requests += c.total;
    requests += c.total;
    if (isError) {
      r.errors += c.total;
      errors += c.total;
    }
  }
  const hit = (labels: readonly string[]): boolean => labels[1] === 'hit' || labels[1] === 'stale';
  return {
    time, requests, errors, routes,
    rateLimited: sumTotals(store, RATE_LIMITED),
    quotaExceeded: sumTotals(store, QUOTA_EXCEEDED),
    cacheHits: sumTotals(store, CACHE_RESULTS, hit),
    cacheAnswers: sumTotals(store, CACHE_RESULTS),
  };
}

const perSecond = (delta: number, ms: number): number => (ms > 0 ? round(Math.max(0, delta) / (ms / 1000), 1) : 0);

export class DashboardFeed {
  /** Oldest first; at most HISTORY_POINTS + 1 (a point needs the sample before it). */
  private readonly samples: Totals[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly sources: DashboardSources, private readonly now: () => number = Date.now) {}

  /** Samples now and every SAMPLE_MS until stop(); the timer does not keep the process alive. */
  start(): void {
    if (this.timer !== null) return;
    this.sample();
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  sample(): void {
    this.samples.push(readTotals(this.sources.store, this.now()));
    if (this.samples.length > HISTORY_POINTS + 1) this.samples.shift();
  }

  data(): DashboardData {
    const { store } = this.sources;
    const config = this.sources.config();
    const workers = this.sources.workers();
    const now = readTotals(store, this.now());
    const base = this.rateBase(now.time);
    const span = base === null ? 0 : now.time - base.time;
    const snap = withUpstreamStates(statsSnapshot(store, config, workers), this.sources.upstreams());

    let windowRequests = 0;
    let windowErrors = 0;
    let windowLimited = 0;
    let windowOverQuota = 0;
    let windowCacheHits = 0;
    let windowCacheAnswers = 0;
    const routes = snap.routes.map((r): DashboardRoute => {
      const cache = (r.cache ?? {}) as Record<string, number>;
      const cacheHits = num(cache.hit) + num(cache.stale);
      const cacheAnswers = cacheHits + num(cache.miss) + num(cache.bypass);
      const rateLimited = num(r.rateLimited);
      const quotaExceeded = num(r.quotaExceeded);
      windowRequests += r.requests;
      windowErrors += r.errors;
      windowLimited += rateLimited;
      windowOverQuota += quotaExceeded;
      windowCacheHits += cacheHits;
      windowCacheAnswers += cacheAnswers;
      const before = base?.routes.get(r.id)?.requests ?? 0;
      return {
        id: r.id, path: r.path, upstream: r.upstream,
        rps: base === null ? 0 : perSecond((now.routes.get(r.id)?.requests ?? 0) - before, span),
        requests: r.requests, errors: r.errors, errorRate: ratio(r.errors, r.requests) ?? 0,
        p50Ms: round(r.p50Ms, 3), p99Ms: round(r.p99Ms, 3),
        rateLimited, quotaExceeded, cacheHitRatio: ratio(cacheHits, cacheAnswers),
        spark: this.routeSpark(r.id),
      };
    });
    const serving = workers.filter((w) => w.state === 'serving').length;
    return {
      time: now.time,
      generation: this.sources.generation(),
      ready: this.sources.ready(),
      windowSeconds: snap.windowSeconds,
      sampleMs: SAMPLE_MS,
      historyMs: SAMPLE_MS * HISTORY_POINTS,
      totals: {
        rps: base === null ? 0 : perSecond(now.requests - base.requests, span),
        requests: windowRequests + snap.unmatched.requests,
        errors: windowErrors + snap.unmatched.errors,
        errorRate: ratio(windowErrors + snap.unmatched.errors, windowRequests + snap.unmatched.requests) ?? 0,
        rateLimited: windowLimited,
        quotaExceeded: windowOverQuota,
        cacheHitRatio: ratio(windowCacheHits, windowCacheAnswers),
        workersServing: serving,
        workers: workers.length,
      },
      routes,
      upstreams: snap.upstreams.map((u) => ({
        upstream: u.upstream, balance: u.balance, rps: u.rps, p99Ms: round(u.p99Ms, 3),
        targets: u.targets.map((t) => {
          const connections = (t.connections ?? {}) as Record<string, number>;
          return {
            url: t.url,
            health: t.health === 'down' ? 'down' : 'up',
            circuit: typeof t.circuit === 'string' ? t.circuit : 'closed',
            inFlight: num(t.inFlight),
            connections: num(connections.busy) + num(connections.idle),
          };
        }),
      })),
      workers: snap.workers.map((w) => ({
        index: num(w.index), state: String(w.state), generation: num(w.generation), inFlight: num(w.inFlight),
        heapUsedMiB: typeof w.heapUsedMiB === 'number' ? w.heapUsedMiB : null,
        eventLoopUtilization: typeof w.eventLoopUtilization === 'number' ? w.eventLoopUtilization : null,
      })),
      history: this.history(),
    };
  }

  /** The newest sample at least RATE_SPAN_MS before `time`, else the oldest one; null before any. */
  private rateBase(time: number): Totals | null {
    for (let i = this.samples.length - 1; i >= 0; i--) {
      if (time - this.samples[i]!.time >= RATE_SPAN_MS) return this.samples[i]!;
    }
    return this.samples[0] ?? null;
  }

  private history(): HistoryPoint[] {
    const out: HistoryPoint[] = [];
    for (let i = 1; i < this.samples.length; i++) {
      const a = this.samples[i - 1]!;
      const b = this.samples[i]!;
      const ms = b.time - a.time;
      out.push({
        t: b.time,
        rps: perSecond(b.requests - a.requests, ms),
        errors: perSecond(b.errors - a.errors, ms),
        limited: perSecond(b.rateLimited + b.quotaExceeded - a.rateLimited - a.quotaExceeded, ms),
        cacheHits: perSecond(b.cacheHits - a.cacheHits, ms),
      });
    }
    return out;
  }

  private routeSpark(id: string): number[] {
    const out: number[] = [];
    for (let i = 1; i < this.samples.length; i++) {
      const a = this.samples[i - 1]!;
      const b = this.samples[i]!;
      out.push(perSecond((b.routes.get(id)?.requests ?? 0) - (a.routes.get(id)?.requests ?? 0), b.time - a.time));
    }
    return out;
  }
}
