// The websocket stage's figure in GET /metrics and /routes (observability/metric-catalogue.ts):
// WebSockets open per route. One count per route id and worker, kept across reloads, so a
// WebSocket opened under the previous config still counts until it closes.
import { gauge } from '../../observability/metric-def.js';
import type { MetricsRecorder } from '../../observability/metrics-recorder.js';

export const WEBSOCKETS_OPEN = gauge('tollgate_websockets_open', ['route'],
  'WebSockets open through the route (upgraded and not yet closed), summed over workers.',
  { view: { on: 'route', field: 'websockets' } });

/** The open count of one route on this worker. */
export interface OpenSockets {
  opened(): void;
  closed(): void;
}

const counts = new WeakMap<MetricsRecorder, Map<string, number>>();

export function openSockets(metrics: MetricsRecorder, route: string): OpenSockets {
  let byRoute = counts.get(metrics);
  if (byRoute === undefined) {
    const map = new Map<string, number>();
    byRoute = map;
    counts.set(metrics, map);
    metrics.gauge(WEBSOCKETS_OPEN, (emit) => {
      for (const [id, n] of map) emit([id], n);
    });
  }
  const map = byRoute;
  if (!map.has(route)) map.set(route, 0);
  return {
    opened: () => map.set(route, map.get(route)! + 1),
    closed: () => map.set(route, map.get(route)! - 1),
  };
}
