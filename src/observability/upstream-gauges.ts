// The connection pools' figures as gauges, read at every push (summed over workers by the supervisor).
import type { PoolFigures } from '../upstream/h1/pool.js';
import type { UpstreamRegistry } from '../upstream/registry.js';
import { UPSTREAM_CONNECTIONS, UPSTREAM_IN_FLIGHT, UPSTREAM_QUEUED } from './metric-catalogue.js';
import type { MetricsRecorder } from './metrics-recorder.js';

/** `registry` returns the current generation's upstreams (the pools new requests go to). */
export function registerUpstreamGauges(metrics: MetricsRecorder, registry: () => UpstreamRegistry | undefined): void {
  const eachPool = (visit: (upstream: string, target: string, f: PoolFigures) => void): void => {
    for (const u of registry()?.list() ?? []) for (const t of u.targets) visit(u.name, t.origin, t.pool.figures());
  };
  metrics.gauge(UPSTREAM_IN_FLIGHT, (emit) => eachPool((u, t, f) => emit([u, t], f.busy + f.queued)));
  metrics.gauge(UPSTREAM_QUEUED, (emit) => eachPool((u, t, f) => emit([u, t], f.queued)));
  metrics.gauge(UPSTREAM_CONNECTIONS, (emit) => eachPool((u, t, f) => {
    emit([u, t, 'busy'], f.busy);
    emit([u, t, 'idle'], f.idle);
  }));
}
