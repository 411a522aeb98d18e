// A worker's side of the metrics: the series it counts into, and the increments it pushes to the
// supervisor. A series is looked up once (when a route is compiled, or on the first request of a
// kind) and kept: the request path only adds to a number and records into a histogram, with no
// lookup by name and no allocation. Series outlive config generations: a route that a reload
// keeps counts on into the same series.
import type { MetricsDelta, SeriesDef } from '../worker/messages.js';
import type { MetricDef } from './metric-def.js';
import { CATALOGUE } from './metric-catalogue.js';
import { BUCKETS, bucketIndex } from './latency-histogram.js';

export class CounterSeries {
  /** Increments since the previous push; the supervisor holds the totals. */
  value = 0;
  /** Announced to the supervisor (SeriesDef) with its first push. */
  announced = false;
  constructor(readonly id: number, readonly def: MetricDef, readonly labels: readonly string[]) {}
  inc(): void {
    this.value++;
  }
}

export class SummarySeries {
  count = 0;
  sumUs = 0;
  announced = false;
  /** Counts per histogram bucket since the previous push (latency-histogram.ts). */
  private readonly buckets = new Uint32Array(BUCKETS);
  /** The range of buckets counted into since the previous push, and how many are not zero. */
  private low = BUCKETS;
  private high = -1;
  private used = 0;
  constructor(readonly id: number, readonly def: MetricDef, readonly labels: readonly string[]) {}
  /** `us`: whole microseconds within the histogram's range (latency-histogram.ts toMicros). */
  record(us: number): void {
    const i = bucketIndex(us);
    const before = this.buckets[i]!;
    this.buckets[i] = before + 1;
    if (before === 0) {
      this.used++;
      if (i < this.low) this.low = i;
      if (i > this.high) this.high = i;
    }
    this.count++;
    this.sumUs += us;
  }
  /** Slots take() writes: id, count, pair count, then a pair per bucket used. */
  get size(): number {
    return 3 + 2 * this.used;
  }
  /** Writes what was recorded since the previous call at `at` (MetricsDelta.summaries), then starts over. */
  take(out: Int32Array, at: number): number {
    out[at++] = this.id;
    out[at++] = this.count;
    out[at++] = this.used;
    const b = this.buckets;
    for (let i = this.low; i <= this.high; i++) {
      if (b[i] === 0) continue;
      out[at++] = i;
      out[at++] = b[i]!;
      b[i] = 0;
    }
    this.low = BUCKETS;
    this.high = -1;
    this.used = 0;
    this.count = 0;
    this.sumUs = 0;
    return at;
  }
}

/** Called at every push; `emit` once per series with the gauge's current value. */
export type GaugeSampler = (emit: (labels: readonly string[], value: number) => void) => void;

function checkListed(catalogue: ReadonlySet<MetricDef>, def: MetricDef): void {
  // Caught when a route is compiled (tests), not when the supervisor receives the first push.
  if (!catalogue.has(def)) throw new Error(`metric ${def.name} is not listed in CATALOGUE (src/observability/metric-catalogue.ts)`);
}

function checkLabels(def: MetricDef, labels: readonly string[]): void {
  if (labels.length !== def.labels.length) {
    throw new Error(`metric ${def.name} takes labels [${def.labels.join(', ')}], got ${labels.length} values`);
  }
}

const seriesKey = (def: MetricDef, labels: readonly string[]): string => JSON.stringify([def.name, ...labels]);

export class MetricsRecorder {
  private readonly counters = new Map<string, CounterSeries>();
  private readonly summaries = new Map<string, SummarySeries>();
  private readonly samplers: { def: MetricDef; sample: GaugeSampler }[] = [];
  /** Gauge series by key, numbered when first emitted. */
  private readonly gaugeIds = new Map<string, number>();
  private readonly catalogue: ReadonlySet<MetricDef>;
  /** Tells recorders apart: the supervisor numbers a replacement thread's series anew. */
  private readonly source = Math.random();
  private nextId = 0;

  constructor(catalogue: readonly MetricDef[] = CATALOGUE) {
    this.catalogue = new Set(catalogue);
  }

  counter(def: MetricDef, labels: readonly string[]): CounterSeries {
    checkListed(this.catalogue, def);
    checkLabels(def, labels);
    const key = seriesKey(def, labels);
    let series = this.counters.get(key);
    if (series === undefined) {
      series = new CounterSeries(this.nextId++, def, labels);
      this.counters.set(key, series);
    }
    return series;
  }

  summary(def: MetricDef, labels: readonly string[]): SummarySeries {
    checkListed(this.catalogue, def);
    checkLabels(def, labels);
    const key = seriesKey(def, labels);
    let series = this.summaries.get(key);
    if (series === undefined) {
      series = new SummarySeries(this.nextId++, def, labels);
      this.summaries.set(key, series);
    }
    return series;
  }

  /** Registers a gauge read at every push (pool sizes, heap, event-loop delay). */
  gauge(def: MetricDef, sample: GaugeSampler): void {
    checkListed(this.catalogue, def);
    this.samplers.push({ def, sample });
  }

  /**
   * Everything counted since the previous call, and every gauge's current value, as numbers;
   * series pushed for the first time are described in `series`.
   */
  takeDelta(): MetricsDelta {
    const series: SeriesDef[] = [];
    let moved = 0;
    for (const c of this.counters.values()) if (c.value !== 0) moved++;
    const counters = new Float64Array(2 * moved);
    let at = 0;
    for (const c of this.counters.values()) {
      if (c.value === 0) continue;
      if (!c.announced) {
        c.announced = true;
        series.push({ id: c.id, kind: 'counter', name: c.def.name, labels: [...c.labels] });
      }
      counters[at++] = c.id;
      counters[at++] = c.value;
      c.value = 0;
    }
    let size = 0;
    let active = 0;
    for (const s of this.summaries.values()) {
      if (s.count === 0) continue;
      size += s.size;
      active++;
    }
    const summaries = new Int32Array(size);
    const sums = new Float64Array(active);
    at = 0;
    let k = 0;
    for (const s of this.summaries.values()) {
      if (s.count === 0) continue;
      if (!s.announced) {
        s.announced = true;
        series.push({ id: s.id, kind: 'summary', name: s.def.name, labels: [...s.labels] });
      }
      sums[k++] = s.sumUs;
      at = s.take(summaries, at);
    }
    const gauges: number[] = [];
    for (const { def, sample } of this.samplers) {
      sample((labels, value) => {
        checkLabels(def, labels);
        const key = seriesKey(def, labels);
        let id = this.gaugeIds.get(key);
        if (id === undefined) {
          id = this.nextId++;
          this.gaugeIds.set(key, id);
          series.push({ id, kind: 'gauge', name: def.name, labels: [...labels] });
        }
        gauges.push(id, value);
      });
    }
    return { source: this.source, series, counters, summaries, sums, gauges: Float64Array.from(gauges) };
  }
}
