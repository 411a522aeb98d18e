// limits.headersTimeout, limits.idleTimeout and limits.maxConnections on one worker's uWS apps.
// All of it lives at the App level or in uWS's connection callbacks: the request path pays nothing.
import type { HttpResponse, TemplatedApp } from 'uWebSockets.js';
import type { Logger } from '../observability/logger.js';
import { CONNECTIONS_REFUSED, WORKER_OPEN_CONNECTIONS } from '../observability/metric-catalogue.js';
import type { CounterSeries, MetricsRecorder } from '../observability/metrics-recorder.js';
import type { UwsQuirks } from './uws-builds.js';

export interface ConnectionLimitSettings {
  /** Milliseconds (whole seconds), or null for the build's own. */
  readonly headersTimeout: number | null;
  readonly idleTimeout: number | null;
  readonly maxConnections: number | null;
}

/** The btc-vision build's timeout setters (quirk settableTimeouts), missing from its index.d.ts. */
interface SettableTimeouts {
  setIdleTimeout(seconds: number): unknown;
  setResponseTimeout(seconds: number): unknown;
}

/** At most one warning per worker this often while connections are being refused. */
const WARN_INTERVAL_MS = 10_000;

export class ConnectionLimits {
  private open = 0;
  private readonly refused: CounterSeries;
  private refusedSinceWarning = 0;
  private lastWarning = -Infinity;
  private max = Infinity;
  private limits: ConnectionLimitSettings;
  /** Every app of this worker: one per listener, and those replaced by a certificate reload until they close. */
  private readonly apps = new Set<TemplatedApp>();
  /** The filter is attached at start only: attached later it would miss the connections already open. */
  private readonly counting: boolean;

  constructor(
    private readonly quirks: UwsQuirks,
    limits: ConnectionLimitSettings,
    private readonly log: Logger,
    metrics: MetricsRecorder,
  ) {
    // The config checks refuse maxConnections on a build without App.filter (checks/build-limits.ts).
    this.counting = limits.maxConnections !== null && quirks.connectionFilter;
    // Open connections are known only where they are counted (a filter attached at start).
    if (this.counting) metrics.gauge(WORKER_OPEN_CONNECTIONS, (emit) => emit([], this.open));
    this.refused = metrics.counter(CONNECTIONS_REFUSED, []);
    this.limits = limits;
    this.max = limits.maxConnections ?? Infinity;
  }

  /**
   * A new app of this worker (a listener opened at start or re-opened for new certificates): its
   * connections count against the one per-worker limit, and it gets the current timeouts.
   */
  attach(app: TemplatedApp): void {
    this.apps.add(app);
    if (this.counting) app.filter((res, change) => this.onConnection(res, Number(change)));
    this.applyTo(app);
  }

  /** An app closed: nothing is applied to it any more (its connections' -1 came through the filter). */
  detach(app: TemplatedApp): void {
    this.apps.delete(app);
  }

  /** On every reload: new timeouts apply to timers uWS starts from now on. */
  apply(limits: ConnectionLimitSettings): void {
    this.limits = limits;
    this.max = limits.maxConnections ?? Infinity;
    for (const app of this.apps) this.applyTo(app);
  }

  private applyTo(app: TemplatedApp): void {
    if (!this.quirks.settableTimeouts) return; // fixed at quirks.idleTimeoutSeconds; other values are refused
    const settable = app as TemplatedApp & SettableTimeouts;
    const seconds = (ms: number | null): number => (ms === null ? this.quirks.idleTimeoutSeconds : ms / 1000);
    // uWS's "idle" timer runs from a connection's opening to its first request head, and while a
    // request body stalls; its "response" timer from the end of an answer to the next head.
    settable.setIdleTimeout(seconds(this.limits.headersTimeout));
    settable.setResponseTimeout(seconds(this.limits.idleTimeout));
  }

  // uWS calls this with +1 when a connection opens (before any byte is read, before a TLS
  // handshake) and -1 when it closes. res.close() here closes the new connection at once, and uWS
  // calls this again with -1 for it before close() returns: the count is back to the limit.
  private onConnection(res: HttpResponse, change: number): void {
    if (change < 0) {
      this.open--;
      return;
    }
    this.open++;
    if (this.open <= this.max) return;
    this.refused.value++;
    this.refusedSinceWarning++;
    res.close();
    const now = Date.now();
    if (now - this.lastWarning >= WARN_INTERVAL_MS) {
      this.log.warn({ maxConnections: this.max, refused: this.refusedSinceWarning }, 'connections refused: limits.maxConnections reached');
      this.lastWarning = now;
      this.refusedSinceWarning = 0;
    }
  }
}
