// The per-request figures of routes and upstreams, each a handful of series looked up once.
import { METHODS } from 'node:http';
import { REQUESTS, REQUEST_DURATION, UPSTREAM_DURATION, UPSTREAM_ERRORS, UPSTREAM_RESPONSES } from './metric-catalogue.js';
import type { CounterSeries, MetricsRecorder, SummarySeries } from './metrics-recorder.js';
import { toMicros } from './latency-histogram.js';

/** The route label of requests no route took (404, 405, malformed requests). */
export const UNMATCHED_ROUTE = '(unmatched)';

// The method label is bounded: a method outside Node's list (the current uWS build hands over
// any token, refused later) is counted as OTHER, so a client cannot mint series.
const KNOWN_METHODS: ReadonlySet<string> = new Set(METHODS);
const OTHER_METHOD = 'OTHER';

/**
 * A counter per status code, made on the first answer with that code. The last one used is kept
 * beside the map: nearly every answer of a route has the status of the one before.
 */
class StatusCounters {
  private readonly byStatus = new Map<number, CounterSeries>();
  private lastStatus = -1;
  private last: CounterSeries | null = null;
  constructor(private readonly make: (status: string) => CounterSeries) {}
  count(status: number): void {
    let c = this.last;
    if (status !== this.lastStatus || c === null) {
      c = this.byStatus.get(status) ?? null;
      if (c === null) {
        c = this.make(String(status));
        this.byStatus.set(status, c);
      }
      this.lastStatus = status;
      this.last = c;
    }
    c.inc();
  }
}

/** tollgate_requests_total and tollgate_request_duration_seconds of one route. */
export interface RouteMeter {
  /** One answered request (`status` 499 when the client left first). */
  record(method: string, status: number, durationMs: number): void;
}

/** The calls of every route to one upstream: time to the answer's head, its status, failures. */
export interface UpstreamMeter {
  /** The answer's head came `ms` after the call was handed to the pool. */
  answered(ms: number, status: number): void;
  /**
   * The call failed (`kind` from classifyUpstreamError); `ms` until the failure when no answer
   * had begun (the call's time is recorded then), -1 when the answer had already begun.
   */
  failed(kind: string, ms: number): void;
}

class RouteSeries implements RouteMeter {
  private readonly byMethod = new Map<string, StatusCounters>();
  private readonly latency: SummarySeries;

  constructor(private readonly metrics: MetricsRecorder, private readonly route: string) {
    this.latency = metrics.summary(REQUEST_DURATION, [route]);
  }

  // The method of the previous answer and its counters: a route sees one method nearly always,
  // and comparing a 3-letter string is cheaper than hashing it for the map (uWS hands over a new
  // string per request, whose hash is not cached).
  private lastMethod = '';
  private lastCounters: StatusCounters | null = null;

  record(method: string, status: number, durationMs: number): void {
    let statuses = this.lastCounters;
    if (method !== this.lastMethod || statuses === null) {
      statuses = this.byMethod.get(method) ?? this.methodCounters(method);
      this.lastMethod = method;
      this.lastCounters = statuses;
    }
    statuses.count(status);
    this.latency.record(toMicros(durationMs));
  }

  private methodCounters(method: string): StatusCounters {
    const label = KNOWN_METHODS.has(method) ? method : OTHER_METHOD;
    const existing = this.byMethod.get(label);
    if (existing !== undefined) return existing;
    const made = new StatusCounters((status) => this.metrics.counter(REQUESTS, [this.route, label, status]));
    this.byMethod.set(label, made);
    return made;
  }
}

class UpstreamSeries implements UpstreamMeter {
  private readonly latency: SummarySeries;
  private readonly responses: StatusCounters;
  private readonly errors = new Map<string, CounterSeries>();

  constructor(private readonly metrics: MetricsRecorder, private readonly upstream: string) {
    this.latency = metrics.summary(UPSTREAM_DURATION, [upstream]);
    this.responses = new StatusCounters((status) => metrics.counter(UPSTREAM_RESPONSES, [upstream, status]));
  }

  answered(ms: number, status: number): void {
    this.latency.record(toMicros(ms));
    this.responses.count(status);
  }

  failed(kind: string, ms: number): void {
    if (ms >= 0) this.latency.record(toMicros(ms));
    let c = this.errors.get(kind);
    if (c === undefined) {
      c = this.metrics.counter(UPSTREAM_ERRORS, [this.upstream, kind]);
      this.errors.set(kind, c);
    }
    c.inc();
  }
}

/** Meters that record nothing: what a worker uses when metering is off for a measurement. */
const OFF: RouteMeter & UpstreamMeter = { record() {}, answered() {}, failed() {} };

/**
 * One meter per route id and per upstream name, shared by every generation that has them.
 *
 * `enabled: false` gives meters that record nothing, and tells the worker to meter no usage: it
 * exists only so that a benchmark can measure what the meters cost (the environment variable
 * TOLLGATE_BENCH_METERS=off, read once by each worker: native-bench's `meters-off` contender).
 * A gateway never runs so in production; the request path is the same either way but for the
 * calls into the meters.
 */
export class RequestMeters {
  private readonly routes = new Map<string, RouteMeter>();
  private readonly upstreams = new Map<string, UpstreamMeter>();
  readonly unmatched: RouteMeter;

  constructor(readonly metrics: MetricsRecorder, readonly enabled = true) {
    this.unmatched = this.route(UNMATCHED_ROUTE);
  }

  route(id: string): RouteMeter {
    if (!this.enabled) return OFF;
    let m = this.routes.get(id);
    if (m === undefined) {
      m = new RouteSeries(this.metrics, id);
      this.routes.set(id, m);
    }
    return m;
  }

  upstream(name: string): UpstreamMeter {
    if (!this.enabled) return OFF;
    let m = this.upstreams.get(name);
    if (m === undefined) {
      m = new UpstreamSeries(this.metrics, name);
      this.upstreams.set(name, m);
    }
    return m;
  }
}
