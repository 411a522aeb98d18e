// Rate limits as two stages (order: src/pipeline/order.ts). A limit by ip runs before
// authentication, so that a flood of bad credentials is cut before it costs any crypto; limits
// by consumer or header, and the consumer's plan limit, run after it. A route without rateLimit
// has neither stage in its chain. The counting itself is src/shm/rate-limit-table.ts.
import type { RouteConfig } from '../../config/types.js';
import { clientAddress } from '../../http/client-address.js';
import type { StageDeps, StageFactory } from '../../pipeline/types.js';
import { admit, compilePolicy, type LimitPolicy } from './policy.js';

/** The route's own limit, named by the route id; keyed by route id, limit, window and `by`. */
function routePolicy(route: RouteConfig, deps: StageDeps): LimitPolicy {
  const spec = route.rateLimit!;
  const { table, counters } = deps.rateLimits;
  return compilePolicy(table, route.id, `route\u0000${route.id}\u0000${spec.by}`, spec.limit, spec.window, counters.of(route.id));
}

/** `by: ip`: the client address (trustedProxies and X-Forwarded-For honoured, see clientAddress). */
export const ipRateLimitStage: StageFactory = (route, deps, next) => {
  if (route.rateLimit?.by !== 'ip' || next === null) return null;
  const policy = routePolicy(route, deps);
  const table = deps.rateLimits.table;
  const trusted = deps.trustedProxies;
  return (ctx) => {
    if (admit(ctx, table, policy, clientAddress(ctx.remoteAddress, ctx.headers, trusted))) next(ctx);
  };
};

/**
 * `by: header:NAME`: the value of the first NAME header line. Requests without the header (or
 * with an empty one) share one budget: leaving the header out must not be a way around the limit.
 */
export const keyedRateLimitStage: StageFactory = (route, deps, next) => {
  const by = route.rateLimit?.by;
  if (by === undefined || !by.startsWith('header:') || next === null) return null;
  const name = by.slice(7);
  const policy = routePolicy(route, deps);
  const table = deps.rateLimits.table;
  return (ctx) => {
    if (admit(ctx, table, policy, headerValue(ctx.headers, name))) next(ctx);
  };
};

function headerValue(headers: readonly string[], name: string): string {
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === name) return headers[i + 1]!;
  return '';
}
