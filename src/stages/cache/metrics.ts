// The cache's figure in GET /metrics and /routes (observability/metric-catalogue.ts): the answers
// of each cached route by their X-Cache result, looked up once per route when its chain is compiled.
import { counter } from '../../observability/metric-def.js';
import type { CounterSeries, MetricsRecorder } from '../../observability/metrics-recorder.js';

export const CACHE_RESULTS = counter('tollgate_cache_total', ['route', 'result'],
  'Answers of cached routes by X-Cache result: hit (a fresh entry), stale (stale-while-revalidate or stale-if-error), miss (from the upstream, stored or not), bypass (the cache was not used: Authorization, a body over maxEntrySize, a key too long). Background refreshes are not answers and are not counted.',
  { view: { on: 'route', field: 'cache', by: 'result' } });

/** The X-Cache values, each with its series of one route on this worker. */
export type CacheResult = 'HIT' | 'STALE' | 'MISS' | 'BYPASS';
export type CacheResults = Readonly<Record<CacheResult, CounterSeries>>;

export function cacheResults(metrics: MetricsRecorder, route: string): CacheResults {
  const of = (result: string): CounterSeries => metrics.counter(CACHE_RESULTS, [route, result]);
  return { HIT: of('hit'), STALE: of('stale'), MISS: of('miss'), BYPASS: of('bypass') };
}
