import type { GatewayConfig } from '../config/types.js';
import { buildRouteTable } from '../routing/build-route-table.js';
import type { Generation, UpstreamAssignment } from '../worker/messages.js';

/**
 * Builds the shared route table for a config once; every worker reads the same SAB. `assignments`
 * are the upstreams' slots and targets (supervisor/upstream-supervision.ts).
 */
export function buildGenerationFor(id: number, config: GatewayConfig, assignments: Record<string, UpstreamAssignment>): Generation {
  const routeTable = buildRouteTable(config.routes.map((r) => ({
    path: r.match.path,
    methods: r.match.methods,
    host: r.match.host,
  })));
  return { id, config, routeTable, assignments };
}

/** Settings that only a restart can change; a reload that changes them is refused whole. */
export function restartOnlyChanges(before: GatewayConfig, after: GatewayConfig): string[] {
  const out: string[] = [];
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
  if (!same(before.listen, after.listen)) out.push('listen');
  if (!same(before.workers, after.workers)) out.push('workers');
  if (!same(before.admin, after.admin)) out.push('admin');
  if (before.dataDir !== after.dataDir) out.push('dataDir');
  return out;
}
