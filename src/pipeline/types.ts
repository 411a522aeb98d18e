import type { GatewayConfig, RouteConfig } from '../config/types.js';
import type { RequestContext } from './context.js';
import type { UpstreamRegistry } from '../upstream/registry.js';
import type { AddressMatcher } from '../http/cidr.js';
import type { Logger } from '../observability/logger.js';
import type { CacheRuntime } from '../cache/runtime.js';
import type { MetricsRecorder } from '../observability/metrics-recorder.js';
import type { RequestMeters, RouteMeter } from '../observability/request-meters.js';
import type { AuthGeneration } from '../auth/auth-runtime.js';
import type { RateLimitCounters } from '../observability/rate-limit-counters.js';
import type { RateLimitTable } from '../shm/rate-limit-table.js';
import type { QuotaTable } from '../shm/quota-table.js';
import type { PluginSet } from '../plugins/load.js';

/** A compiled stage chain for one route: synchronous, returns nothing; answers through ctx.exchange. */
export type Handler = (ctx: RequestContext) => void;

export interface StageDeps {
  config: GatewayConfig;
  upstreams: UpstreamRegistry;
  trustedProxies: AddressMatcher;
  log: Logger;
  /** Identity settings of this generation on this worker (API keys, JWT providers). */
  auth: AuthGeneration;
  /** The worker's view of the shared rate-limit table, and its per-route refusal counters. */
  rateLimits: RateLimitDeps;
  /** The shared quota table, this generation's slot of each consumer with a quota, and the clock quotas run on. */
  quotas: QuotaDeps;
  /** Test-only (TOLLGATE_FAULT_INJECTION=1): the fault stage joins every chain. */
  faultInjection: boolean;
  /** This worker's metrics: a stage looks its series up here once (metric-catalogue.ts says how). */
  metrics: MetricsRecorder;
  /** The per-route and per-upstream request figures (requests, latencies, upstream answers and errors). */
  meters: RequestMeters;
  /** The response cache of this worker; null when no route of the config caches. */
  cache: CacheRuntime | null;
  /** This generation's plugins, set up on this worker (src/plugins/load.ts); empty when the config has none. */
  plugins: PluginSet;
}

export interface QuotaDeps {
  table: QuotaTable;
  slots: Readonly<Record<string, number>>;
  clock: () => number;
}

export interface RateLimitDeps {
  table: RateLimitTable;
  counters: RateLimitCounters;
}

/**
 * Builds a stage for one route from its config, doing all parsing up front. Returns null when
 * the stage is off for this route, so it is left out of the chain instead of tested per request.
 * `next` is the rest of the chain (null after a terminal stage).
 */
export type StageFactory = (route: RouteConfig, deps: StageDeps, next: Handler | null) => Handler | null;

export interface CompiledRoute {
  id: string;
  index: number;
  config: RouteConfig;
  handle: Handler;
  /** Counts each finished request of the route (the worker calls it when the answer ends). */
  meter: RouteMeter;
}
