import type { RequestContext } from './context.js';

/**
 * Whether an answer on its way to the client says the upstream failed: the statuses of RFC 5861
 * §4 (500, 502, 503, 504), whether the upstream sent them or the gateway made them for a refused,
 * reset or timed-out call, an invalid answer, or no target to call. Stale-if-error and a route's
 * fallback answer instead of them. Gateway errors that are not the upstream's (a 500 for an
 * exception, a 503 while shutting down) never pass through a stage's exchange.
 */
export function isUpstreamFailure(status: number): boolean {
  return status === 500 || status === 502 || status === 503 || status === 504;
}

/** Why, in words for logs and Cache-Status: the upstream's status, or what the gateway saw. */
export function failureDetail(ctx: RequestContext, status: number): string {
  if (ctx.upstreamStatus === status) return `upstream answered ${status}`;
  if (status === 504) return 'upstream timed out';
  if (status === 503) return 'upstream unavailable';
  return 'upstream failed';
}
