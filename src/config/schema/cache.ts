// The response cache: its bounds (top level) and what each route keeps (route `cache`), and the
// answer a route gives when its upstream fails (route `fallback`).
import { z } from 'zod';
import { duration, size } from './scalars.js';

/** The smallest cache.maxSize: below it a handful of entries would fill the cache. */
export const MIN_MAX_SIZE = 1024 * 1024;

export const cacheLimitsSchema = z
  .strictObject({
    maxSize: size({ min: MIN_MAX_SIZE }).prefault('1gb').meta({
      description: 'Most bytes the LMDB cache holds (its pages in use); past it, expired then least recently used entries are evicted in the background',
    }),
    maxEntrySize: size({ min: 1 }).prefault('8mb').meta({
      description: 'Largest answer body stored; a larger one (or one without Content-Length growing past it) streams through uncached (X-Cache: BYPASS)',
    }),
  })
  .prefault({})
  .meta({ description: 'Bounds of the response cache (LMDB under dataDir/cache); routes choose what they cache with their own `cache`' });

export const routeCacheSchema = z.strictObject({
  ttl: duration().prefault(0).meta({
    description: 'Freshness of an answer whose upstream sends neither Cache-Control nor Expires (0: such answers are not stored); Cache-Control max-age / s-maxage and Expires win when present',
  }),
  staleWhileRevalidate: duration().prefault(0).meta({
    description: 'How long after it turns stale an entry is still served (X-Cache: STALE) while one background request refreshes it; the upstream\'s stale-while-revalidate directive wins when present',
  }),
  staleIfError: duration().prefault(0).meta({
    description: 'How long after it turns stale an entry is served (X-Cache: STALE) when the upstream fails (refused, reset, timeout, invalid answer, 500/502/503/504); the upstream\'s stale-if-error directive wins when present',
  }),
});
