// A worker's side of the metrics: the series it counts into, and the increments it pushes to the
// supervisor. A series is looked up once (when a route is compiled, or on the first request of a
// kind) and kept: the request path only adds to a number and records into a histogram, with no
// lookup by name and no allocation. Series outlive config generations: a route that a reload
// keeps counts on into the same series.
import type { MetricsDelta, SeriesValue, SummaryDelta } from '../worker/messages.js';
import type { MetricDef } from './metric-def.js';
import { CATALOGUE } from './metric-catalogue.js';
import { encodeHistogram, newLatencyHistogram, type LatencyHistogram } from './latency-histogram.js';

export class CounterSeries {
  /** Increments since the previous push; the supervisor holds the totals. */
  value = 0;
  constructor(readonly def: MetricDef, readonly labels: readonly string[]) {}
  inc(): void {
    this.value++;
  }
}

export class SummarySeries {
  count = 0;
  sumUs = 0;
  private readonly histogram: LatencyHistogram = newLatencyHistogram();
  constructor(readonly def: MetricDef, readonly labels: readonly string[]) {}
  /** `us`: whole microseconds within the histogram's range (latency-histogram.ts toMicros). */
  record(us: number): void {
    this.histogram.recordValue(us);
    this.count++;
    this.sumUs += us;
  }
  /** What was recorded since the previous call, then starts over. */
  take(): SummaryDelta {
    const delta = { name: this.def.name, labels: [...this.labels], count: this.count, sumUs: this.sumUs, histogram: encodeHistogram(this.histogram) };
    this.histogram.reset();
    this.count = 0;
    this.sumUs = 0;
    return delta;
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
  private readonly catalogue: ReadonlySet<MetricDef>;

  constructor(catalogue: readonly MetricDef[] = CATALOGUE) {
    this.catalogue = new Set(catalogue);
  }

  counter(def: MetricDef, labels: readonly string[]): CounterSeries {
    checkListed(this.catalogue, def);
    checkLabels(def, labels);
    const key = seriesKey(def, labels);
    let series = this.counters.get(key);
    if (series === undefined) {
      series = new CounterSeries(def, labels);
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
      series = new SummarySeries(def, labels);
      this.summaries.set(key, series);
    }
    return series;
  }

  /** Registers a gauge read at every push (pool sizes, heap, event-loop delay). */
  gauge(def: MetricDef, sample: GaugeSampler): void {
    checkListed(this.catalogue, def);
    this.samplers.push({ def, sample });
  }

  /** Everything counted since the previous call, and every gauge's current value. */
  takeDelta(): MetricsDelta {
    const counters: SeriesValue[] = [];
    for (const c of this.counters.values()) {
      if (c.value === 0) continue;
      counters.push({ name: c.def.name, labels: [...c.labels], value: c.value });
      c.value = 0;
    }
    const summaries: SummaryDelta[] = [];
    for (const s of this.summaries.values()) if (s.count > 0) summaries.push(s.take());
    const gauges: SeriesValue[] = [];
    for (const { def, sample } of this.samplers) {
      sample((labels, value) => {
        checkLabels(def, labels);
        gauges.push({ name: def.name, labels: [...labels], value });
      });
    }
    return { counters, summaries, gauges };
  }
}
