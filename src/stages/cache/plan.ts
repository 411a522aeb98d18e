import type { RouteConfig } from '../../config/types.js';
import type { CacheRuntime } from '../../cache/runtime.js';
import type { RouteFreshness } from '../../cache/freshness.js';
import { keyHash, PrimaryKeyMemo } from '../../cache/cache-key.js';
import type { Logger } from '../../observability/logger.js';
import type { StageDeps } from '../../pipeline/types.js';
import { Claims } from './claims.js';
import { cacheResults, type CacheResults } from './metrics.js';
import { notCors } from '../cors/index.js';

/** One route's cache settings, compiled once: what every request of the route reads. */
export interface CachePlan {
  runtime: CacheRuntime;
  claims: Claims;
  freshness: RouteFreshness;
  /**
   * Of the route config an answer depends on (id, upstream, rewrite, response headers, cache
   * settings): an entry stored under another fingerprint is a miss, so a reload that changes the
   * route never serves answers shaped by the old one. Stable across restarts.
   */
  fingerprint: number;
  /** How long a fetch may take before the requests waiting for it fetch on their own. */
  timeout: number;
  log: Logger;
  /** tollgate_cache_total of this route on this worker, by X-Cache result. */
  results: CacheResults;
  /**
   * Which answer headers an entry keeps. A hit writes the stored lines as they are, past the
   * filters of the stages outside the cache, so what those drop from an upstream's answer is
   * dropped here when storing: a CORS route's upstream access-control-* headers (the CORS stage
   * adds the route's own to every answer).
   */
  keepStored: (name: string) => boolean;
  /** The primary key of the route's last lookup (cache-key.ts). */
  keys: PrimaryKeyMemo;
}

/** Response headers never stored: computed per answer (age), or the cache's own label (x-cache). */
const NOT_STORED = new Set(['age', 'x-cache']);
const storable = (name: string): boolean => !NOT_STORED.has(name);
const storableWithCors = (name: string): boolean => storable(name) && notCors(name);

export function compileCachePlan(route: RouteConfig, deps: StageDeps, runtime: CacheRuntime): CachePlan {
  const cache = route.cache!;
  const upstream = deps.upstreams.get(route.upstream!);
  const shape = JSON.stringify([route.id, route.upstream, route.rewrite, route.headers.response, cache]);
  return {
    runtime,
    claims: new Claims(runtime.words),
    freshness: { ttl: cache.ttl, staleWhileRevalidate: cache.staleWhileRevalidate, staleIfError: cache.staleIfError },
    fingerprint: keyHash(shape),
    timeout: route.timeout ?? upstream.config.timeout.response,
    log: deps.log,
    results: cacheResults(deps.metrics, route.id),
    keepStored: route.cors === null ? storable : storableWithCors,
    keys: new PrimaryKeyMemo(),
  };
}
