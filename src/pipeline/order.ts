import type { StageFactory } from './types.js';
import { respondStage } from '../stages/respond/index.js';
import { proxyStage } from '../stages/proxy/index.js';
import { faultStage } from '../stages/fault/index.js';
import { fallbackStage } from '../stages/fallback/index.js';
import { cacheStage } from '../stages/cache/index.js';

/**
 * The one place that orders the stages, first to last. Each factory decides from the route's
 * config whether it is part of that route's chain. Later stages (auth, rate limit, cache, …)
 * slot in here ahead of the terminal ones.
 */
export const STAGE_ORDER: readonly StageFactory[] = [
  faultStage, // test-only: in no chain unless TOLLGATE_FAULT_INJECTION=1
  // Authentication and rate limits go here: a cache hit is still authenticated and counted.
  fallbackStage, // outside the cache: a stale entry (stale-if-error) answers before the fallback
  cacheStage, // right before the upstream, whose answer it records
  respondStage,
  proxyStage,
];
