// Quotas (plans.NAME.quota): requests per consumer per UTC day or month, after authentication
// and the rate limits (order: src/pipeline/order.ts), so that a request a rate limit refuses
// does not use up the quota. The count is the shared-memory word of the consumer
// (src/shm/quota-table.ts): exact across workers, whatever was flushed to LMDB or not. A route
// without auth, or whose consumers have no plan with a quota, has no quota stage.
import type { QuotaPeriod } from '../../shm/quota-table.js';
import { periodEnd, periodOf, periodSeconds } from '../../shm/quota-table.js';
import type { StageFactory } from '../../pipeline/types.js';
import { replyProblem } from '../../pipeline/problem-reply.js';
import { QUOTA_EXCEEDED } from '../../metering/metrics.js';
import type { CounterSeries } from '../../observability/metrics-recorder.js';

interface ConsumerQuota {
  slot: number;
  /** This route's 429s for the plan. */
  exceeded: CounterSeries;
  limit: number;
  period: QuotaPeriod;
  /** quota-PLAN, the policy's name in RateLimit-Policy / RateLimit. */
  quoted: string;
  plan: string;
}

export const quotaStage: StageFactory = (route, deps, next) => {
  if (route.auth === null || next === null) return null;
  const byConsumer = new Map<string, ConsumerQuota>();
  for (const [consumer, spec] of Object.entries(deps.config.consumers)) {
    const quota = spec.plan === null ? null : deps.config.plans[spec.plan]?.quota ?? null;
    const slot = deps.quotas.slots[consumer];
    if (quota === null || spec.plan === null || slot === undefined) continue;
    const exceeded = deps.metrics.counter(QUOTA_EXCEEDED, [route.id, spec.plan]);
    byConsumer.set(consumer, { slot, exceeded, limit: quota.limit, period: quota.period, quoted: `"quota-${spec.plan}"`, plan: spec.plan });
  }
  if (byConsumer.size === 0) return null;
  const { table, clock } = deps.quotas;
  return (ctx) => {
    const quota = ctx.consumer === null ? undefined : byConsumer.get(ctx.consumer);
    if (quota === undefined) {
      next(ctx);
      return;
    }
    const now = clock();
    const count = table.charge(quota.slot, periodOf(now, quota.period), quota.limit);
    const remaining = count < 0 ? 0 : quota.limit - count;
    const reset = Math.ceil((periodEnd(now, quota.period) - now) / 1000);
    // The quota's headers when it is the most restrictive policy so far (fewest requests left).
    if (count < 0 || ctx.rateLimitRemaining < 0 || remaining < ctx.rateLimitRemaining) {
      ctx.rateLimitRemaining = remaining;
      ctx.answerHeaders = ['ratelimit-policy', `${quota.quoted};q=${quota.limit};w=${periodSeconds(now, quota.period)}`, 'ratelimit', `${quota.quoted};r=${remaining};t=${reset}`];
    }
    if (count >= 0) {
      next(ctx);
      return;
    }
    quota.exceeded.value++;
    replyProblem(ctx.exchange, ctx.requestId, 'TG_QUOTA_EXCEEDED',
      `Quota of plan "${quota.plan}" (${quota.limit} request${quota.limit === 1 ? '' : 's'} per UTC ${quota.period}) used up; it starts again in ${reset} s.`,
      ['retry-after', String(reset)]);
  };
};
