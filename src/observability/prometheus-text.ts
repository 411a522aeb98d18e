// GET /metrics: the Prometheus text exposition format, version 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/).
import type { MetricDef } from './metric-def.js';
import type { MetricStore } from './metric-store.js';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** The quantiles every summary reports, with the figure of LatencyFigures each reads. */
const QUANTILES = [['0.5', 'p50'], ['0.9', 'p90'], ['0.99', 'p99'], ['0.999', 'p999']] as const;

/** HELP text: backslash and line feed escaped. */
const escapeHelp = (text: string): string => text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

/** Label values: backslash, double quote and line feed escaped. */
export const escapeLabelValue = (value: string): string => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export function formatValue(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return String(n);
}

function labelSet(names: readonly string[], values: readonly string[], extra: string | null = null): string {
  const parts = names.map((name, i) => `${name}="${escapeLabelValue(values[i] ?? '')}"`);
  if (extra !== null) parts.push(extra);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

function seriesLines(store: MetricStore, def: MetricDef): string[] {
  const lines: string[] = [];
  switch (def.kind) {
    case 'counter':
      for (const c of store.counterFigures(def)) lines.push(`${def.name}${labelSet(def.labels, c.labels)} ${formatValue(c.total)}`);
      break;
    case 'gauge':
      for (const g of store.gaugeFigures(def)) {
        const worker = g.worker === null ? null : `worker="${g.worker}"`;
        lines.push(`${def.name}${labelSet(def.labels, g.labels, worker)} ${formatValue(g.value)}`);
      }
      break;
    case 'summary':
      for (const s of store.summaryFigures(def)) {
        // Quantiles of an empty window are NaN, as Prometheus client libraries write them.
        for (const [q, field] of QUANTILES) {
          const value = s.window.count === 0 ? NaN : s.window[field] / 1e6;
          lines.push(`${def.name}${labelSet(def.labels, s.labels, `quantile="${q}"`)} ${formatValue(value)}`);
        }
        lines.push(`${def.name}_sum${labelSet(def.labels, s.labels)} ${formatValue(s.sumSeconds)}`);
        lines.push(`${def.name}_count${labelSet(def.labels, s.labels)} ${formatValue(s.count)}`);
      }
      break;
  }
  return lines;
}

/** Every metric of the catalogue that has at least one series, with its HELP and TYPE. */
export function renderPrometheus(store: MetricStore, catalogue: readonly MetricDef[]): string {
  const out: string[] = [];
  for (const def of catalogue) {
    const lines = seriesLines(store, def);
    if (lines.length === 0) continue;
    out.push(`# HELP ${def.name} ${escapeHelp(def.help)}`, `# TYPE ${def.name} ${def.kind}`, ...lines);
  }
  return out.length === 0 ? '' : out.join('\n') + '\n';
}
