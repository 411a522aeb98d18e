// The supervisor's side of the metrics: every worker's pushes summed into totals, plus a sliding
// last minute kept as a ring of six 10-second slots (for /routes, /upstreams, SIGUSR2 and the
// summaries' quantiles).
//
// How workers' figures get here, and why by message: each worker pushes what it counted since
// its previous push (counter increments, and the latency histogram buckets that moved) every
// second, and at once when asked (a scrape, /routes, SIGUSR2 ask first, so their answers include
// every request finished before them). Shared memory would need a fixed layout for series that
// appear as traffic arrives (a route, a method, a status).
//
// A push is numbers only (MetricsDelta): a series is described once, in the first push that
// carries it, and named by a number after that. The store keeps, per worker, the entries those
// numbers resolve to, so that applying a push under steady traffic allocates nothing: the
// supervisor shares a core with a worker on small hosts, and its collections took that worker's
// time (issue 16, native-bench/PROFILE.md).
//
// Totals live here, not in the workers, so they survive a reload, and when a worker dies its
// counts up to its last push stay in the totals (the crash handler pushes once more first): a
// replacement starts from zero without taking anything back. Counters never go backwards.
import { CATALOGUE } from './metric-catalogue.js';
import type { MetricDef } from './metric-def.js';
import { BucketHistogram } from './latency-histogram.js';
import type { MetricsDelta } from '../worker/messages.js';

export const SLOT_MS = 10_000;
export const SLOTS = 6;

interface CounterEntry {
  labels: readonly string[];
  total: number;
  slots: Float64Array;
  /** The 10-second epoch (time / SLOT_MS) each slot holds; -1: none. */
  epochs: number[];
}

interface SummaryEntry {
  labels: readonly string[];
  count: number;
  sumUs: number;
  lifetime: BucketHistogram;
  /** Allocated when a slot gets values, dropped when a read finds it out of the window. */
  slots: (BucketHistogram | null)[];
  epochs: number[];
}

interface GaugeEntry {
  def: MetricDef;
  labels: readonly string[];
  value: number;
  /** The push of its worker that last set it: an entry its worker's latest push lacks is gone. */
  push: number;
}

/** What one worker's series numbers resolve to (MetricsDelta, metrics-recorder.ts). */
interface WorkerSeries {
  source: number;
  counters: (CounterEntry | undefined)[];
  summaries: (SummaryEntry | undefined)[];
  gauges: (GaugeEntry | undefined)[];
  /** Every gauge entry of this worker, in the order first seen. */
  gaugeList: GaugeEntry[];
  push: number;
}

/** Latency figures of a histogram, in microseconds; zeros when it holds nothing. */
export interface LatencyFigures {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

export interface CounterFigures {
  labels: readonly string[];
  total: number;
  /** Over the sliding window (see windowSeconds). */
  window: number;
}

export interface SummaryFigures {
  labels: readonly string[];
  count: number;
  sumSeconds: number;
  window: LatencyFigures;
  lifetime: LatencyFigures;
}

export interface GaugeFigures {
  labels: readonly string[];
  /** The worker's index for a per-worker gauge, else null (summed over workers). */
  worker: number | null;
  value: number;
}

const keyOf = (labels: readonly string[]): string => JSON.stringify(labels);

function figuresOf(h: BucketHistogram): LatencyFigures {
  const count = h.totalCount;
  if (count === 0) return { count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 };
  return {
    count,
    p50: h.getValueAtPercentile(50),
    p90: h.getValueAtPercentile(90),
    p99: h.getValueAtPercentile(99),
    p999: h.getValueAtPercentile(99.9),
    max: h.maxValue,
  };
}

export class MetricStore {
  private readonly defs = new Map<string, MetricDef>();
  private readonly counters = new Map<string, Map<string, CounterEntry>>();
  private readonly summaries = new Map<string, Map<string, SummaryEntry>>();
  /** Each worker's series, its latest gauge values among them. */
  private readonly workers = new Map<number, WorkerSeries>();
  /** Values the supervisor sets itself (process figures, workers serving). */
  private readonly localGauges = new Map<string, GaugeEntry>();
  private readonly startedAt: number;
  /** Reused for merging a window's slots on each read. */
  private readonly scratch = new BucketHistogram(true);

  constructor(catalogue: readonly MetricDef[] = CATALOGUE, private readonly now: () => number = Date.now) {
    for (const def of catalogue) this.defs.set(def.name, def);
    this.startedAt = now();
  }

  /** Length of the sliding window right now: the last five whole slots and the current one, or since start. */
  windowSeconds(): number {
    const now = this.now();
    const from = Math.max(this.startedAt, (this.epoch(now) - (SLOTS - 1)) * SLOT_MS);
    return Math.max(0.001, (now - from) / 1000);
  }

  /** Adds one worker's push: increments and histograms into the totals, its gauges replace its previous ones. */
  apply(worker: number, delta: MetricsDelta): void {
    const epoch = this.epoch(this.now());
    let w = this.workers.get(worker);
    if (w === undefined || w.source !== delta.source) {
      w = { source: delta.source, counters: [], summaries: [], gauges: [], gaugeList: [], push: 0 };
      this.workers.set(worker, w);
    }
    for (const s of delta.series) {
      if (s.kind === 'counter') w.counters[s.id] = this.counterEntry(this.def(s.name, 'counter'), s.labels);
      else if (s.kind === 'summary') w.summaries[s.id] = this.summaryEntry(this.def(s.name, 'summary'), s.labels);
      else {
        const g: GaugeEntry = { def: this.def(s.name, 'gauge'), labels: s.labels, value: 0, push: -1 };
        w.gauges[s.id] = g;
        w.gaugeList.push(g);
      }
    }
    const c = delta.counters;
    for (let i = 0; i < c.length; i += 2) {
      const e = w.counters[c[i]!];
      if (e !== undefined) this.addToEntry(e, c[i + 1]!, epoch);
    }
    const s = delta.summaries;
    for (let i = 0, k = 0; i < s.length; k++) {
      const e = w.summaries[s[i]!];
      const count = s[i + 1]!;
      const from = i + 3;
      i = from + 2 * s[i + 2]!;
      if (e === undefined) continue;
      e.count += count;
      e.sumUs += delta.sums[k]!;
      const slot = this.summarySlot(e, epoch);
      for (let j = from; j < i; j += 2) {
        e.lifetime.add(s[j]!, s[j + 1]!);
        slot.add(s[j]!, s[j + 1]!);
      }
    }
    const push = ++w.push;
    const g = delta.gauges;
    for (let i = 0; i < g.length; i += 2) {
      const e = w.gauges[g[i]!];
      if (e === undefined) continue;
      e.value = g[i + 1]!;
      e.push = push;
    }
  }

  /** A worker thread ended: its gauges go; what it counted stays in the totals. */
  workerGone(worker: number): void {
    this.workers.delete(worker);
  }

  /** A count made by the supervisor itself (config reloads). */
  add(def: MetricDef, labels: readonly string[], n = 1): void {
    this.addCount(this.def(def.name, 'counter'), labels, n, this.epoch(this.now()));
  }

  /** A value the supervisor reads itself (RSS, workers serving); for a counter, its current total. */
  set(def: MetricDef, labels: readonly string[], value: number): void {
    this.localGauges.set(keyOf([def.name, ...labels]), { def, labels, value, push: 0 });
  }

  counterFigures(def: MetricDef): CounterFigures[] {
    const epoch = this.epoch(this.now());
    const out: CounterFigures[] = [];
    for (const e of this.counters.get(def.name)?.values() ?? []) {
      let window = 0;
      for (let i = 0; i < SLOTS; i++) if (this.inWindow(e.epochs[i]!, epoch)) window += e.slots[i]!;
      out.push({ labels: e.labels, total: e.total, window });
    }
    for (const g of this.localGauges.values()) if (g.def === def) out.push({ labels: g.labels, total: g.value, window: 0 });
    return out;
  }

  summaryFigures(def: MetricDef): SummaryFigures[] {
    const epoch = this.epoch(this.now());
    const out: SummaryFigures[] = [];
    for (const e of this.summaries.get(def.name)?.values() ?? []) {
      this.scratch.reset();
      for (let i = 0; i < SLOTS; i++) {
        const h = e.slots[i] ?? null;
        if (h === null) continue;
        if (this.inWindow(e.epochs[i]!, epoch)) {
          this.scratch.addAll(h);
        } else {
          e.slots[i] = null; // out of the window: its memory goes until the series gets values again
        }
      }
      out.push({ labels: e.labels, count: e.count, sumSeconds: e.sumUs / 1e6, window: figuresOf(this.scratch), lifetime: figuresOf(e.lifetime) });
    }
    return out;
  }

  /** Combined over the workers alive (def.combine), or one per worker for a per-worker gauge; then the supervisor's own. */
  gaugeFigures(def: MetricDef): GaugeFigures[] {
    const out: GaugeFigures[] = [];
    const summed = new Map<string, GaugeFigures>();
    for (const [worker, w] of [...this.workers].sort((a, b) => a[0] - b[0])) {
      for (const g of w.gaugeList) {
        if (g.def !== def || g.push !== w.push) continue;
        if (def.perWorker === true) {
          out.push({ labels: g.labels, worker, value: g.value });
          continue;
        }
        const key = keyOf(g.labels);
        const sum = summed.get(key);
        if (sum === undefined) summed.set(key, { labels: g.labels, worker: null, value: g.value });
        else sum.value = def.combine === 'max' ? Math.max(sum.value, g.value) : sum.value + g.value;
      }
    }
    out.push(...summed.values());
    for (const g of this.localGauges.values()) if (g.def === def) out.push({ labels: g.labels, worker: null, value: g.value });
    return out;
  }

  private epoch(time: number): number {
    return Math.floor(time / SLOT_MS);
  }

  private inWindow(slotEpoch: number, epoch: number): boolean {
    return slotEpoch > epoch - SLOTS && slotEpoch <= epoch;
  }

  private def(name: string, kind: MetricDef['kind']): MetricDef {
    const def = this.defs.get(name);
    if (def === undefined || def.kind !== kind) throw new Error(`metric ${name} is not a ${kind} of the catalogue (src/observability/metric-catalogue.ts)`);
    return def;
  }

  private addCount(def: MetricDef, labels: readonly string[], n: number, epoch: number): void {
    this.addToEntry(this.counterEntry(def, labels), n, epoch);
  }

  private counterEntry(def: MetricDef, labels: readonly string[]): CounterEntry {
    let series = this.counters.get(def.name);
    if (series === undefined) {
      series = new Map();
      this.counters.set(def.name, series);
    }
    const key = keyOf(labels);
    let e = series.get(key);
    if (e === undefined) {
      e = { labels, total: 0, slots: new Float64Array(SLOTS), epochs: new Array<number>(SLOTS).fill(-1) };
      series.set(key, e);
    }
    return e;
  }

  private addToEntry(e: CounterEntry, n: number, epoch: number): void {
    e.total += n;
    const i = epoch % SLOTS;
    if (e.epochs[i] !== epoch) {
      e.epochs[i] = epoch;
      e.slots[i] = 0;
    }
    e.slots[i]! += n;
  }

  private summaryEntry(def: MetricDef, labels: readonly string[]): SummaryEntry {
    let series = this.summaries.get(def.name);
    if (series === undefined) {
      series = new Map();
      this.summaries.set(def.name, series);
    }
    const key = keyOf(labels);
    let e = series.get(key);
    if (e === undefined) {
      e = { labels, count: 0, sumUs: 0, lifetime: new BucketHistogram(true), slots: new Array<BucketHistogram | null>(SLOTS).fill(null), epochs: new Array<number>(SLOTS).fill(-1) };
      series.set(key, e);
    }
    return e;
  }

  private summarySlot(e: SummaryEntry, epoch: number): BucketHistogram {
    const i = epoch % SLOTS;
    let h = e.slots[i] ?? null;
    if (e.epochs[i] !== epoch) {
      e.epochs[i] = epoch;
      h?.reset();
    }
    if (h === null) {
      h = new BucketHistogram(false);
      e.slots[i] = h;
    }
    return h;
  }
}
