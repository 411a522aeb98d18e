// One snapshot for people and scripts: GET /routes answers its `routes`, GET /upstreams its
// `upstreams`, and SIGUSR2 logs the whole of it. Figures are over the sliding last minute (the
// store's window, `windowSeconds`), with the totals since start under `lifetime`. Latency
// quantiles are exact across workers (merged HDR histograms), in milliseconds with microsecond
// decimals. Every metric of the catalogue with a `view` adds its field to the items here.
import type { UpstreamSnapshot } from './upstream-supervision.js';
import type { GatewayConfig } from '../config/types.js';
import { CATALOGUE, REQUESTS, REQUEST_DURATION, UPSTREAM_DURATION, UPSTREAM_RESPONSES } from '../observability/metric-catalogue.js';
import type { MetricDef, MetricView } from '../observability/metric-def.js';
import type { CounterFigures, LatencyFigures, MetricStore } from '../observability/metric-store.js';
import { UNMATCHED_ROUTE } from '../observability/request-meters.js';

/** Answers by status class. */
export interface StatusCounts {
  '1xx': number;
  '2xx': number;
  '3xx': number;
  '4xx': number;
  '5xx': number;
}

export interface LatencyMs {
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

/** A snapshot item: the fields below, plus those the catalogue's views add. */
type Item = Record<string, unknown>;

/** A route's figures over the window, with the totals since start under `lifetime`. */
export interface RouteFigures extends LatencyMs, Item {
  requests: number;
  rps: number;
  /** 5xx answers (the gateway's own and the upstream's). */
  errors: number;
  statuses: StatusCounts;
  lifetime: Item;
}

export interface RouteItem extends RouteFigures {
  id: string;
  path: string;
  methods: readonly string[] | null;
  host: string | null;
  upstream: string | null;
  rewrite: string | null;
  respond: boolean;
}

export interface TargetItem extends Item {
  /** As configured (or found), an origin. */
  url: string;
  weight: number | null;
}

export interface UpstreamItem extends LatencyMs, Item {
  upstream: string;
  balance: string;
  targets: TargetItem[];
  /** Calls made, with or without an answer. */
  requests: number;
  rps: number;
  /** Calls that got no answer (connect error, timeout, reset before the head). */
  failed: number;
  /** Status classes of the answers that came. */
  statuses: StatusCounts;
  lifetime: Item;
}

export interface WorkerState {
  index: number;
  state: string;
  generation: number;
  inFlight: number;
}

export interface StatsSnapshot {
  /** The seconds the figures cover: the last minute, or the time since start when shorter. */
  windowSeconds: number;
  routes: RouteItem[];
  /** Requests no route took (404, 405, malformed). */
  unmatched: RouteFigures;
  upstreams: UpstreamItem[];
  workers: Item[];
}

const noStatuses = (): StatusCounts => ({ '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 });
const round = (n: number, digits: number): number => Math.round(n * 10 ** digits) / 10 ** digits;

/** Microseconds to milliseconds with microsecond decimals. */
function latencyMs(f: LatencyFigures): LatencyMs {
  return { p50Ms: f.p50 / 1000, p90Ms: f.p90 / 1000, p99Ms: f.p99 / 1000, p999Ms: f.p999 / 1000, maxMs: f.max / 1000 };
}

interface Counted {
  window: number;
  total: number;
  statuses: StatusCounts;
  lifetimeStatuses: StatusCounts;
}

/** A fresh one each time: items must not share objects that views may add to. */
const noCount = (): Counted => ({ window: 0, total: 0, statuses: noStatuses(), lifetimeStatuses: noStatuses() });

/** Sums a counter's series by one label (route, upstream), with the status classes of `statusLabel`. */
function countBy(series: readonly CounterFigures[], keyLabel: number, statusLabel: number): Map<string, Counted> {
  const out = new Map<string, Counted>();
  for (const s of series) {
    const key = s.labels[keyLabel]!;
    let c = out.get(key);
    if (c === undefined) {
      c = noCount();
      out.set(key, c);
    }
    c.window += s.window;
    c.total += s.total;
    const cls = `${s.labels[statusLabel]?.[0] ?? ''}xx`;
    if (cls in c.statuses) {
      c.statuses[cls as keyof StatusCounts] += s.window;
      c.lifetimeStatuses[cls as keyof StatusCounts] += s.total;
    }
  }
  return out;
}

function latencyBy(store: MetricStore, def: MetricDef): Map<string, { window: LatencyFigures; lifetime: LatencyFigures }> {
  return new Map(store.summaryFigures(def).map((s) => [s.labels[0]!, s]));
}

const NO_LATENCY: LatencyFigures = { count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 };

function routeFigures(c: Counted, l: { window: LatencyFigures; lifetime: LatencyFigures }, seconds: number): RouteFigures {
  return {
    requests: c.window, rps: round(c.window / seconds, 1), errors: c.statuses['5xx'], statuses: c.statuses, ...latencyMs(l.window),
    lifetime: { requests: c.total, errors: c.lifetimeStatuses['5xx'], statuses: c.lifetimeStatuses, ...latencyMs(l.lifetime) },
  };
}

/** The running config's routes, in order, and the requests no route took (404, 405, malformed). */
function routeItems(store: MetricStore, config: GatewayConfig, seconds: number): { routes: RouteItem[]; unmatched: RouteFigures } {
  const counts = countBy(store.counterFigures(REQUESTS), 0, 2);
  const latency = latencyBy(store, REQUEST_DURATION);
  const figures = (id: string): RouteFigures => routeFigures(counts.get(id) ?? noCount(), latency.get(id) ?? { window: NO_LATENCY, lifetime: NO_LATENCY }, seconds);
  const routes = config.routes.map((r) => ({
    id: r.id, path: r.match.path, methods: r.match.methods, host: r.match.host, upstream: r.upstream, rewrite: r.rewrite, respond: r.respond !== null,
    ...figures(r.id),
  }));
  return { routes, unmatched: figures(UNMATCHED_ROUTE) };
}

function upstreamItems(store: MetricStore, config: GatewayConfig, seconds: number): UpstreamItem[] {
  const answers = countBy(store.counterFigures(UPSTREAM_RESPONSES), 0, 1);
  const latency = latencyBy(store, UPSTREAM_DURATION);
  return Object.entries(config.upstreams).map(([name, u]) => {
    const a = answers.get(name) ?? noCount();
    const l = latency.get(name) ?? { window: NO_LATENCY, lifetime: NO_LATENCY };
    return {
      upstream: name,
      balance: u.balance,
      targets: u.targets.map((t) => ({ url: t.url, weight: t.weight })),
      requests: l.window.count, rps: round(l.window.count / seconds, 1), failed: Math.max(0, l.window.count - a.window), statuses: a.statuses,
      ...latencyMs(l.window),
      lifetime: { requests: l.lifetime.count, failed: Math.max(0, l.lifetime.count - a.total), statuses: a.lifetimeStatuses, ...latencyMs(l.lifetime) },
    };
  });
}

/** Where a view's series lands: the item its scope labels name, or null when that item is not listed. */
type Locate = (def: MetricDef, labels: readonly string[], worker: number | null) => Item | null;

function locator(routes: RouteItem[], upstreams: UpstreamItem[], workers: Item[]): Locate {
  const routeById = new Map(routes.map((r) => [r.id, r]));
  const upstreamByName = new Map(upstreams.map((u) => [u.upstream, u]));
  const workerByIndex = new Map(workers.map((w) => [w.index as number, w]));
  const label = (def: MetricDef, labels: readonly string[], name: string): string | undefined => labels[def.labels.indexOf(name)];
  return (def, labels, worker) => {
    switch (def.view!.on) {
      case 'route': return routeById.get(label(def, labels, 'route') ?? '') ?? null;
      case 'upstream': return upstreamByName.get(label(def, labels, 'upstream') ?? '') ?? null;
      case 'worker': return worker === null ? null : workerByIndex.get(worker) ?? null;
      case 'target': {
        const upstream = upstreamByName.get(label(def, labels, 'upstream') ?? '');
        const origin = label(def, labels, 'target');
        if (upstream === undefined || origin === undefined) return null;
        let target = upstream.targets.find((t) => originOf(t.url) === origin);
        if (target === undefined) {
          // A target the config does not list (found by DNS discovery).
          target = { url: origin, weight: null };
          upstream.targets.push(target);
        }
        return target;
      }
    }
  };
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

/** Adds `value` at the view's field (a dot path), under the `by` label's value when it has one. */
function accumulate(item: Item, view: MetricView, byValue: string | null, value: number): void {
  const path = view.field.split('.');
  let at = item;
  for (const key of path.slice(0, -1)) at = (at[key] ??= {}) as Item;
  const last = path[path.length - 1]!;
  if (byValue === null) {
    at[last] = ((at[last] as number | undefined) ?? 0) + value;
  } else {
    const by = (at[last] ??= {}) as Record<string, number>;
    by[byValue] = (by[byValue] ?? 0) + value;
  }
}

/** Scales and rounds what accumulate() summed, once every series is in. */
function finish(item: Item, view: MetricView): void {
  const path = view.field.split('.');
  let at: Item | undefined = item;
  for (const key of path.slice(0, -1)) at = at?.[key] as Item | undefined;
  const last = path[path.length - 1]!;
  if (at === undefined || at[last] === undefined) return;
  const show = (n: number): number | string => {
    if (view.show !== undefined) return view.show[n] ?? String(n);
    const scaled = n * (view.scale ?? 1);
    return view.digits === undefined ? scaled : round(scaled, view.digits);
  };
  const v = at[last];
  if (typeof v === 'number') at[last] = show(v);
  else for (const [k, n] of Object.entries(v as Record<string, number>)) (v as Record<string, unknown>)[k] = show(n);
}

function applyViews(store: MetricStore, catalogue: readonly MetricDef[], locate: Locate): void {
  for (const def of catalogue) {
    const view = def.view;
    if (view === undefined) continue;
    const touched = new Set<Item>();
    const byOf = (labels: readonly string[]): string | null => (view.by === undefined ? null : labels[def.labels.indexOf(view.by)] ?? '');
    if (def.kind === 'counter') {
      for (const c of store.counterFigures(def)) {
        const item = locate(def, c.labels, null);
        if (item === null) continue;
        accumulate(item, view, byOf(c.labels), c.window);
        const lifetime = (item.lifetime ??= {}) as Item;
        accumulate(lifetime, view, byOf(c.labels), c.total);
        touched.add(item).add(lifetime);
      }
    } else if (def.kind === 'gauge') {
      for (const g of store.gaugeFigures(def)) {
        const item = locate(def, g.labels, g.worker);
        if (item === null) continue;
        accumulate(item, view, byOf(g.labels), g.value);
        touched.add(item);
      }
    }
    for (const item of touched) finish(item, view);
  }
}

/** The snapshot of the running config's routes and upstreams, and of the workers in `workers`. */
export function statsSnapshot(store: MetricStore, config: GatewayConfig, workers: readonly WorkerState[], catalogue: readonly MetricDef[] = CATALOGUE): StatsSnapshot {
  const seconds = store.windowSeconds();
  const { routes, unmatched } = routeItems(store, config, seconds);
  const upstreams = upstreamItems(store, config, seconds);
  const workerItems: Item[] = workers.map((w) => ({ ...w }));
  applyViews(store, catalogue, locator(routes, upstreams, workerItems));
  return { windowSeconds: round(seconds, 1), routes, unmatched, upstreams, workers: workerItems };
}

/**
 * Adds what the supervisor reads from the shared upstream state (upstream-supervision.ts) to a
 * snapshot's upstreams: each target's health and circuit state (the current targets, discovered
 * ones included, in assignment order, keeping the pool figures the views put on them), and the
 * retry and discovery figures of the upstreams that have them.
 */
export function withUpstreamStates(snapshot: StatsSnapshot, states: readonly UpstreamSnapshot[]): StatsSnapshot {
  for (const item of snapshot.upstreams) {
    const state = states.find((s) => s.upstream === item.upstream);
    if (state === undefined) continue;
    const figures = new Map(item.targets.map((t) => [originOf(t.url), t]));
    item.targets = state.targets.map((t) => ({ ...figures.get(originOf(t.url)), ...t }));
    if (state.retries !== undefined) item.retries = state.retries;
    if (state.discovery !== undefined) item.discovery = state.discovery;
  }
  return snapshot;
}
