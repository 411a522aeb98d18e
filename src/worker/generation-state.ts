import { compileAuth, type AuthRuntime } from '../auth/auth-runtime.js';
import type { GatewayConfig } from '../config/types.js';
import type { EdgeState } from '../http/edge.js';
import { createAddressMatcher } from '../http/cidr.js';
import type { Logger } from '../observability/logger.js';
import { TOLLGATE_VERSION } from '../package-version.js';
import type { RequestMeters } from '../observability/request-meters.js';
import { compileRoute } from '../pipeline/compile.js';
import { RouteTable } from '../routing/route-table.js';
import { UpstreamRegistry, type UpstreamEnv } from '../upstream/registry.js';
import type { RateLimitDeps } from '../pipeline/types.js';
import { QuotaTable, quotaClock } from '../shm/quota-table.js';
import type { Generation } from './messages.js';
import type { CacheRuntime } from '../cache/runtime.js';
import type { PluginSet } from '../plugins/load.js';

export interface WorkerGeneration {
  edge: EdgeState;
  config: GatewayConfig;
  upstreams: UpstreamRegistry;
  /** The plugins this generation's routes run (closed once a newer generation replaced it). */
  plugins: PluginSet;
}

/** Compiles every route of a generation against this worker's upstream pools and its plugins (loaded by the caller). */
export function buildGeneration(
  gen: Generation, previous: WorkerGeneration | null, env: UpstreamEnv, faultInjection: boolean, meters: RequestMeters, auth: AuthRuntime, rateLimits: RateLimitDeps,
  cache: CacheRuntime | null, plugins: PluginSet,
): WorkerGeneration {
  const config = gen.config;
  const log = env.log;
  const upstreams = new UpstreamRegistry(config.upstreams, gen.assignments, env, previous?.upstreams ?? null);
  const deps = {
    config, upstreams, trustedProxies: createAddressMatcher(config.trustedProxies), log, faultInjection, metrics: meters.metrics, meters,
    auth: compileAuth(config, auth), rateLimits,
    quotas: { table: new QuotaTable(gen.quotas.table), slots: gen.quotas.slots, clock: quotaClock(faultInjection) },
    cache, plugins,
  };
  const routes = config.routes.map((r, i) => compileRoute(r, i, deps));
  return {
    edge: {
      generation: gen.id,
      table: new RouteTable(gen.routeTable),
      routes,
      maxHeaderSize: config.limits.maxHeaderSize,
      chunkedRequests: config.limits.chunkedRequests,
      serverHeader: config.serverTokens ? `tollgate/${TOLLGATE_VERSION}` : null,
      addressUpFront: config.log.access && config.log.accessFields.includes('remoteAddress'),
    },
    config,
    upstreams,
    plugins,
  };
}
