import type { GatewayConfig } from '../config/types.js';
import { buildRouteTable } from '../routing/build-route-table.js';
import type { Generation } from '../worker/messages.js';

/** Builds the shared route table for a config once; every worker reads the same SAB. */
export function buildGenerationFor(id: number, config: GatewayConfig): Generation {
  const routeTable = buildRouteTable(config.routes.map((r) => ({
    path: r.match.path,
    methods: r.match.methods,
    host: r.match.host,
  })));
  return { id, config, routeTable };
}

/** Settings that only a restart can change; a reload that changes them is refused whole. */
export function restartOnlyChanges(before: GatewayConfig, after: GatewayConfig): string[] {
  const out: string[] = [];
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
  if (!same(before.listen, after.listen)) out.push('listen');
  if (!same(before.workers, after.workers)) out.push('workers');
  if (!same(before.admin, after.admin)) out.push('admin');
  if (before.dataDir !== after.dataDir) out.push('dataDir');
  // The shared table is sized once, at start (src/shm/rate-limit-layout.ts).
  if (before.rateLimits.capacity !== after.rateLimits.capacity) out.push('rateLimits.capacity');
  return out;
}
