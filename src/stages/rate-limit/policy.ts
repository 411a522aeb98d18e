import type { RequestContext } from '../../pipeline/context.js';
import { replyProblem } from '../../pipeline/problem-reply.js';
import type { LimitedCounter } from '../../observability/rate-limit-counters.js';
import { ALLOWED, FULL, LIMITED, type KeyPrefix, type RateLimitTable } from '../../shm/rate-limit-table.js';

const NS_PER_MS = 1_000_000n;
const NS_PER_S = 1e9;

/** One limit (a route's or a plan's), with everything a check needs worked out at compile time. */
export interface LimitPolicy {
  /** The policy's name in RateLimit-Policy / RateLimit: the route id, or plan-NAME. */
  name: string;
  limit: number;
  /** window / limit, in nanoseconds (GCRA's emission interval). */
  interval: bigint;
  /** (limit - 1) * interval: how far ahead of now the TAT may be for a request to pass. */
  tolerance: bigint;
  /** The hash of the key's fixed part (see rate-limit-table.ts). */
  prefix: KeyPrefix;
  /** RateLimit-Policy's value, `"name";q=LIMIT;w=SECONDS`. */
  policyField: string;
  /** The start of RateLimit's value, `"name";r=`. */
  stateStart: string;
  /** "50 requests per 1h", for the 429's detail. */
  wording: string;
  counter: LimitedCounter;
}

/**
 * `keyText` names the limit, never anything a reload changes without changing the limit itself
 * (a route's position, say): a reload that keeps the text keeps the counters, and one that changes
 * the limit or window starts that limit's counters afresh (its old slots go idle and are reused).
 */
export function compilePolicy(
  table: RateLimitTable, name: string, keyText: string, limit: number, windowMs: number, counter: LimitedCounter,
): LimitPolicy {
  // At least 1 ns: with a window shorter than `limit` nanoseconds the burst still holds exactly.
  let interval = (BigInt(windowMs) * NS_PER_MS) / BigInt(limit);
  if (interval < 1n) interval = 1n;
  // A structured-field string; names are letters, digits, _ . - (route ids and plan names).
  const quoted = `"${name}"`;
  return {
    name,
    limit,
    interval,
    tolerance: BigInt(limit - 1) * interval,
    prefix: table.prefix(`${keyText}\u0000${limit}\u0000${windowMs}\u0000`),
    // The draft counts the window in whole seconds: a sub-second window is rounded up to 1.
    policyField: `${quoted};q=${limit};w=${Math.max(1, Math.ceil(windowMs / 1000))}`,
    stateStart: `${quoted};r=`,
    wording: `${limit} request${limit === 1 ? '' : 's'} per ${formatWindow(windowMs)}`,
    counter,
  };
}

/**
 * Charges one request to `value`'s bucket under `policy`. Allowed: records the policy's state in
 * ctx.answerHeaders when it is the most restrictive so far (fewest requests left) and returns true.
 * Refused: answers 429 (bucket empty) or 503 (no slot for a new key) and returns false.
 */
export function admit(ctx: RequestContext, table: RateLimitTable, policy: LimitPolicy, value: string): boolean {
  const outcome = table.charge(policy.prefix, value, policy.interval, policy.tolerance);
  if (outcome === ALLOWED) {
    const ahead = Number(table.tat - table.now);
    const remaining = policy.limit - Math.ceil(ahead / Number(policy.interval));
    if (ctx.rateLimitRemaining < 0 || remaining < ctx.rateLimitRemaining) report(ctx, policy, remaining, ahead);
    return true;
  }
  refuse(ctx, table, policy, outcome);
  return false;
}

/** Answers the refusal `outcome` (LIMITED, FULL or STUCK) of a check under `policy`. */
export function refuse(ctx: RequestContext, table: RateLimitTable, policy: LimitPolicy, outcome: number): void {
  const ahead = Number(table.tat - table.now);
  if (outcome === LIMITED) {
    policy.counter.value++;
    report(ctx, policy, 0, ahead);
    // The next request passes once the TAT is back within the tolerance.
    const retry = seconds(ahead - Number(policy.tolerance));
    replyProblem(ctx.exchange, ctx.requestId, 'TG_RATE_LIMITED',
      `Rate limit "${policy.name}" of ${policy.wording} exceeded; retry in ${retry} s.`, ['retry-after', String(retry)]);
    return;
  }
  // FULL: this.tat is when the window's least recently used slot goes idle; STUCK: a second.
  const retry = outcome === FULL ? seconds(ahead) : 1;
  replyProblem(ctx.exchange, ctx.requestId, 'TG_RATE_LIMITER_FULL',
    `The rate limiter has no room for another client right now (rateLimits.capacity); retry in ${retry} s.`, ['retry-after', String(retry)]);
}

/** Sets the RateLimit-Policy / RateLimit headers every answer to this request carries. */
function report(ctx: RequestContext, policy: LimitPolicy, remaining: number, aheadNs: number): void {
  ctx.rateLimitRemaining = remaining;
  // t: seconds until the bucket is full again (all `limit` requests available).
  ctx.answerHeaders = ['ratelimit-policy', policy.policyField, 'ratelimit', `${policy.stateStart}${remaining};t=${seconds(aheadNs)}`];
}

/** Nanoseconds to whole seconds, rounded up (at least 1 for any wait). */
function seconds(ns: number): number {
  return ns <= 0 ? 0 : Math.ceil(ns / NS_PER_S);
}

function formatWindow(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
