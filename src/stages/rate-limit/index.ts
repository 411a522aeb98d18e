// Rate limits as two stages (order: src/pipeline/order.ts). A limit by ip runs before
// authentication, so that a flood of bad credentials is cut before it costs any crypto; limits
// by consumer or header, and the consumer's plan limit, run after it. A route without rateLimit
// (and, for plans, without auth or without any consumer on a limited plan) has neither stage in
// its chain. The counting itself is src/shm/rate-limit-table.ts.
import type { RouteConfig } from '../../config/types.js';
import { clientAddress } from '../../http/client-address.js';
import type { StageDeps, StageFactory } from '../../pipeline/types.js';
import { LIMITED } from '../../shm/rate-limit-table.js';
import { admit, compilePolicy, refuse, type LimitPolicy } from './policy.js';

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
 * After authentication: the route's limit by consumer or by header, and the consumer's plan
 * limit. A request must pass both; the headers report the more restrictive (fewer left).
 *   by: consumer      ctx.consumer, as the auth stage set it.
 *   by: header:NAME   the value of the first NAME header line. Requests without the header (or
 *                     with an empty one) share one budget: leaving the header out must not be a
 *                     way around the limit.
 *   plans             on a route with auth, the plan of the consumer the request authenticated
 *                     as (consumers.NAME.plan, by name, however it authenticated): one budget per
 *                     consumer across every route, named plan-NAME in the headers.
 * The plan is looked at before the route's limit is charged, so a request its plan refuses does
 * not use up the route's budget; a plan that runs out between that look and its own charge (a
 * concurrent request took the last one) leaves the route charged for a refused request, which
 * errs on the strict side.
 */
export const keyedRateLimitStage: StageFactory = (route, deps, next) => {
  if (next === null) return null;
  const by = route.rateLimit !== null && route.rateLimit.by !== 'ip' ? route.rateLimit.by : null;
  const plans = route.auth === null ? null : planPolicies(route, deps);
  if (by === null && plans === null) return null;
  const own = by === null ? null : routePolicy(route, deps);
  const header = by !== null && by.startsWith('header:') ? by.slice(7) : null;
  const table = deps.rateLimits.table;
  return (ctx) => {
    const consumer = ctx.consumer ?? '';
    const plan = plans === null ? undefined : plans.get(consumer);
    if (own !== null) {
      if (plan !== undefined && table.peek(plan.prefix, consumer, plan.tolerance) === LIMITED) {
        refuse(ctx, table, plan, LIMITED);
        return;
      }
      if (!admit(ctx, table, own, header === null ? consumer : headerValue(ctx.headers, header))) return;
    }
    if (plan !== undefined && !admit(ctx, table, plan, consumer)) return;
    next(ctx);
  };
};

/**
 * The plan limit of each consumer that has one, for this route (refusals count for the route);
 * null when no consumer's plan has a rateLimit. Keyed by plan name, limit and window: every route
 * charges the same bucket for a consumer.
 */
function planPolicies(route: RouteConfig, deps: StageDeps): Map<string, LimitPolicy> | null {
  const { table, counters } = deps.rateLimits;
  const byPlan = new Map<string, LimitPolicy>();
  const byConsumer = new Map<string, LimitPolicy>();
  for (const [consumer, spec] of Object.entries(deps.config.consumers)) {
    const planName = spec.plan;
    const limit = planName === null ? null : deps.config.plans[planName]?.rateLimit ?? null;
    if (planName === null || limit === null) continue;
    let policy = byPlan.get(planName);
    if (policy === undefined) {
      policy = compilePolicy(table, `plan-${planName}`, `plan\u0000${planName}`, limit.limit, limit.window, counters.of(route.id));
      byPlan.set(planName, policy);
    }
    byConsumer.set(consumer, policy);
  }
  return byConsumer.size === 0 ? null : byConsumer;
}

function headerValue(headers: readonly string[], name: string): string {
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === name) return headers[i + 1]!;
  return '';
}
