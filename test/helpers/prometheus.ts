// Reading /metrics the way Prometheus does: through a real text-format parser, never a regex.
import parsePrometheusTextFormat, { type ParsedFamily, type ParsedSample } from 'parse-prometheus-text-format';

export type { ParsedFamily, ParsedSample };

export function parseMetrics(text: string): ParsedFamily[] {
  return parsePrometheusTextFormat(text);
}

export function family(families: readonly ParsedFamily[], name: string): ParsedFamily | undefined {
  return families.find((f) => f.name === name);
}

/** Samples of `name` whose labels include every pair of `labels`. */
export function samples(families: readonly ParsedFamily[], name: string, labels: Record<string, string> = {}): ParsedSample[] {
  return (family(families, name)?.metrics ?? []).filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
}

/** The sum of the values (counters, gauges) or of the counts (summaries) of the matching samples. */
export function total(families: readonly ParsedFamily[], name: string, labels: Record<string, string> = {}): number {
  return samples(families, name, labels).reduce((sum, m) => sum + Number(m.value ?? m.count ?? 0), 0);
}

export interface SummarySample {
  labels: Record<string, string>;
  quantiles: Record<string, number>;
  sum: number;
  count: number;
}

/**
 * The label sets of summary `name`. parse-prometheus-text-format 1.1.1 folds every label set of
 * a summary into one sample and drops labelled _sum and _count lines (its flattenMetrics), so
 * the summary is read a second time with its TYPE line saying untyped: the same parser then
 * returns each sample with its labels.
 */
export function summaries(text: string, name: string): SummarySample[] {
  const typeLine = `# TYPE ${name} summary`;
  if (!text.split('\n').includes(typeLine)) return [];
  const untyped = text.split('\n').map((line) => (line === typeLine ? `# TYPE ${name} untyped` : line)).join('\n');
  const byLabels = new Map<string, SummarySample>();
  const entry = (labels: Record<string, string>): SummarySample => {
    const key = JSON.stringify(Object.entries(labels).sort());
    let s = byLabels.get(key);
    if (s === undefined) {
      s = { labels, quantiles: {}, sum: NaN, count: NaN };
      byLabels.set(key, s);
    }
    return s;
  };
  for (const f of parsePrometheusTextFormat(untyped)) {
    for (const m of f.metrics) {
      const { quantile, ...labels } = m.labels ?? {};
      if (f.name === name && quantile !== undefined) entry(labels).quantiles[quantile] = Number(m.value);
      else if (f.name === `${name}_sum`) entry(labels).sum = Number(m.value);
      else if (f.name === `${name}_count`) entry(labels).count = Number(m.value);
    }
  }
  return [...byLabels.values()];
}
