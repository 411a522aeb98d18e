import type { ConfigPath } from '../config/errors.js';
import type { ListenerConfig } from '../config/schema/listen.js';
import type { GatewayConfig } from '../config/types.js';
import { routeTableMethods } from '../config/schema/cors.js';
import { buildRouteTable } from '../routing/build-route-table.js';
import type { Generation, GenerationQuotas, UpstreamAssignment } from '../worker/messages.js';
import type { PluginVersions } from '../plugins/load.js';

/**
 * Builds the shared route table for a config once; every worker reads the same SAB. `assignments`
 * are the upstreams' slots and targets (supervisor/upstream-supervision.ts); `quotas` each
 * consumer's slot in the quota table (metering/quota-service.ts); `pluginVersions` the plugin modules
 * the supervisor checked (plugins/check.ts).
 */
export function buildGenerationFor(
  id: number, config: GatewayConfig, assignments: Record<string, UpstreamAssignment>, quotas: GenerationQuotas, pluginVersions: PluginVersions,
): Generation {
  const routeTable = buildRouteTable(config.routes.map((r) => ({
    path: r.match.path,
    methods: routeTableMethods(r.match.methods, r.cors),
    host: r.match.host,
  })));
  return { id, config, routeTable, assignments, quotas, pluginVersions };
}

/** A change a reload cannot apply: where it is in the new config, and what it is. */
export interface RestartChange {
  path: ConfigPath;
  message: string;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
const scheme = (l: ListenerConfig): string => (l.tls === null ? 'HTTP' : 'HTTPS');

/**
 * Settings that only a restart can change; a reload that changes any is refused whole. Listeners
 * are bound by every worker at start (ports resolved, checked free), so adding, removing or moving
 * one, or switching it between HTTP and HTTPS, needs a restart; its certificates do not.
 * `ports`: the running listeners' ports (port 0 resolved), to name them. `workersFixed`: --workers
 * was given, so the file's `workers` is not what runs.
 */
export function restartOnlyChanges(before: GatewayConfig, after: GatewayConfig, ports: readonly number[], workersFixed = false): RestartChange[] {
  const out: RestartChange[] = [];
  const b = before.listen;
  const a = after.listen;
  const address = (l: ListenerConfig, i: number): string => `${l.host}:${ports[i] ?? l.port}`;
  a.forEach((listener, i) => {
    const old = b[i];
    if (old === undefined) {
      out.push({ path: ['listen', i], message: `a new listener (${listener.host}:${listener.port}) needs a restart` });
      return;
    }
    if (listener.host !== old.host) out.push({ path: ['listen', i, 'host'], message: `changing the address of listener ${address(old, i)} to ${listener.host} needs a restart` });
    if (listener.port !== old.port) out.push({ path: ['listen', i, 'port'], message: `changing the port of listener ${address(old, i)} to ${listener.port} needs a restart` });
    if ((listener.tls === null) !== (old.tls === null)) {
      out.push({ path: ['listen', i, ...(listener.tls === null ? [] : ['tls'])], message: `switching listener ${address(old, i)} from ${scheme(old)} to ${scheme(listener)} needs a restart` });
    }
  });
  for (let i = a.length; i < b.length; i++) {
    out.push({ path: ['listen'], message: `removing listener ${address(b[i]!, i)} needs a restart` });
  }
  if (!workersFixed && !same(before.workers, after.workers)) {
    out.push({ path: ['workers'], message: `changing the worker count (${before.workers} to ${after.workers}) needs a restart` });
  }
  for (const key of ['host', 'port', 'token'] as const) {
    if (before.admin[key] !== after.admin[key]) out.push({ path: ['admin', key], message: `changing admin.${key} needs a restart` });
  }
  if (before.dataDir !== after.dataDir) out.push({ path: ['dataDir'], message: 'changing dataDir needs a restart' });
  // A worker attaches its connection counter (uWS App.filter) at start only: one attached later
  // would not know the connections already open. A new value applies on reload.
  if ((before.limits.maxConnections === null) !== (after.limits.maxConnections === null)) {
    out.push({ path: ['limits', 'maxConnections'], message: `${after.limits.maxConnections === null ? 'removing' : 'setting'} the connection limit needs a restart (a new value applies on reload)` });
  }
  // The shared rate-limit table is sized once, at start (src/shm/rate-limit-layout.ts).
  if (before.rateLimits.capacity !== after.rateLimits.capacity) {
    out.push({ path: ['rateLimits', 'capacity'], message: 'changing the size of the rate-limit table needs a restart' });
  }
  return out;
}
