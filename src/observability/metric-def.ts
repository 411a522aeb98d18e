// What a metric is: its Prometheus name, help, kind and labels, and where the admin snapshot
// (/routes, /upstreams, SIGUSR2) shows it. Plain data: the catalogue lists every one
// (metric-catalogue.ts), workers record into them (metrics-recorder.ts), the supervisor sums
// them (observability/metric-store.ts).

/**
 * counter: only goes up; workers push increments, the supervisor keeps the totals.
 * gauge: a value sampled when a worker pushes (or by the supervisor); summed over workers, or one
 * series per worker when `perWorker`.
 * summary: a latency in microseconds recorded into an HDR histogram; exposed in seconds.
 */
export type MetricKind = 'counter' | 'gauge' | 'summary';

/**
 * Where a metric joins the admin snapshot:
 *   route     the /routes item whose id is the `route` label
 *   upstream  the /upstreams item named by the `upstream` label
 *   target    the target (`target` label, an origin) of that upstream item
 *   worker    the worker item (per-worker gauges only)
 * A counter shows its count over the last minute in `field` and its total in `lifetime.field`; a
 * gauge shows its current value.
 */
export interface MetricView {
  on: 'route' | 'upstream' | 'target' | 'worker';
  /** The item's field; a dot path ('eventLoopDelayMs.p99') nests. */
  field: string;
  /** A further label whose values key an object: `errors: { timeout: 2, connect: 1 }`. */
  by?: string;
  /** Shown as value * scale, rounded to `digits` decimals (bytes as MiB, seconds as ms). */
  scale?: number;
  digits?: number;
  /** A gauge that encodes a state: value i is shown as show[i] (`['closed', 'open', 'half-open']`). */
  show?: readonly string[];
}

export interface MetricDef {
  name: string;
  help: string;
  kind: MetricKind;
  labels: readonly string[];
  /** Gauges only: one series per worker, with a `worker` label, instead of the sum over workers. */
  perWorker?: boolean;
  /**
   * Gauges only: how the workers' values combine, `sum` (default: connections, requests) or `max`
   * (a state every worker sees, such as a circuit read from shared memory: 1 when any says 1).
   */
  combine?: 'sum' | 'max';
  view?: MetricView;
}

type Options = Pick<MetricDef, 'perWorker' | 'combine' | 'view'>;

export const counter = (name: string, labels: readonly string[], help: string, opts: Options = {}): MetricDef =>
  ({ name, help, kind: 'counter', labels, ...opts });

export const gauge = (name: string, labels: readonly string[], help: string, opts: Options = {}): MetricDef =>
  ({ name, help, kind: 'gauge', labels, ...opts });

export const summary = (name: string, labels: readonly string[], help: string): MetricDef =>
  ({ name, help, kind: 'summary', labels });
