import type { StageFactory } from './types.js';
import { respondStage } from '../stages/respond/index.js';
import { proxyStage } from '../stages/proxy/index.js';
import { faultStage } from '../stages/fault/index.js';
import { fallbackStage } from '../stages/fallback/index.js';
import { cacheStage } from '../stages/cache/index.js';
import { authStage } from '../stages/auth/index.js';
import { ipRateLimitStage, keyedRateLimitStage } from '../stages/rate-limit/index.js';
import { corsStage } from '../stages/cors/index.js';
import { aggregateStage } from '../stages/aggregate/index.js';
import { translateStage } from '../stages/translate/index.js';
import { transformStage } from '../stages/transform/index.js';
import { quotaStage } from '../stages/quota/index.js';
import { websocketStage } from '../stages/websocket/index.js';
import { functionRouteStage, pluginStage } from '../stages/plugins/index.js';

/**
 * The one place that orders the stages, first to last. Each factory decides from the route's
 * config whether it is part of that route's chain. Later stages (auth, rate limit, cache, …)
 * slot in here ahead of the terminal ones.
 */
export const STAGE_ORDER: readonly StageFactory[] = [
  faultStage, // test-only: in no chain unless TOLLGATE_FAULT_INJECTION=1
  corsStage, // route `cors`: answers preflights, adds the allow headers (src/stages/cors/)
  // rate limits by ip go here (before auth)
  ipRateLimitStage,
  authStage, // route `auth`: sets ctx.consumer, answers 401/403 (src/stages/auth/)
  // rate limits by consumer/header go here (after auth)
  keyedRateLimitStage,
  quotaStage, // plans.NAME.quota: after the rate limits, so a request they refuse uses none of it
  websocketStage, // route `websocket`: takes WebSocket upgrades past the request stages; other requests go on (src/stages/websocket/)
  // route `translate`: JSON <-> MessagePack (src/stages/translate/). After auth and limits (a
  // MessagePack body is read only for a request they let through); outside the fallback (whose
  // JSON answer a MessagePack client gets translated) and the cache (which stores the upstream's
  // JSON once for every client and answers each in its own format)
  translateStage,
  // route `plugins` (src/stages/plugins/): onRequest in the route's order, after auth and limits
  // (a refused request runs no plugin code), onResponse in reverse; inside translate, so plugins
  // see JSON where a client sends or accepts MessagePack; outside the fallback and the cache
  pluginStage,
  fallbackStage, // outside the cache: a stale entry (stale-if-error) answers before the fallback
  cacheStage, // after auth and rate limits (a hit is still authenticated and counted), right before the upstream, whose answer it records
  // route `transform`: JSON body rules (src/stages/transform/). Inside translate (its rules see a
  // MessagePack client's body as JSON, and that client gets the transformed answer translated);
  // inside the cache (it stores the transformed answer, so a hit costs no transform) and the
  // fallback (whose configured answer is sent as written); around proxied and aggregated answers
  transformStage,
  aggregateStage, // route `aggregate`: terminal, fans out to its calls (src/stages/aggregate/)
  respondStage,
  functionRouteStage, // route `respond: { plugin }`: terminal, the plugin's handle hook answers (src/stages/plugins/)
  proxyStage,
];
