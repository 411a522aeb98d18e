import type { ErrorCode } from '../../errors/codes.js';
import type { RequestContext } from '../../pipeline/context.js';
import { replyProblem } from '../../pipeline/problem-reply.js';

export interface UpstreamFailure {
  code: ErrorCode;
  /** Short, safe for clients: never the upstream's own words. */
  detail: string;
  /** For logs and metrics. */
  kind: 'timeout' | 'connect' | 'reset' | 'protocol' | 'request' | 'unavailable' | 'circuit-open';
}

const TIMEOUT: UpstreamFailure = { code: 'TG_UPSTREAM_TIMEOUT', detail: 'The upstream did not answer in time.', kind: 'timeout' };
const CONNECT: UpstreamFailure = { code: 'TG_UPSTREAM_FAILED', detail: 'The upstream could not be reached.', kind: 'connect' };
const RESET: UpstreamFailure = { code: 'TG_UPSTREAM_FAILED', detail: 'The upstream closed the connection.', kind: 'reset' };
const REQUEST: UpstreamFailure = { code: 'TG_BAD_HEADER', detail: 'The request cannot be forwarded: its target or a header would not be a valid HTTP/1.1 request head.', kind: 'request' };
const PROTOCOL: UpstreamFailure = { code: 'TG_UPSTREAM_FAILED', detail: 'The upstream sent an invalid response.', kind: 'protocol' };
/** Every target is down (health checks or passive detection), or DNS discovery found none yet. */
export const NO_HEALTHY_TARGET: UpstreamFailure = { code: 'TG_UPSTREAM_UNAVAILABLE', detail: 'The upstream has no healthy target.', kind: 'unavailable' };
/** Every target that is up has its circuit open: answered at once, no connection attempted. */
export const CIRCUIT_OPEN: UpstreamFailure = { code: 'TG_UPSTREAM_UNAVAILABLE', detail: 'The upstream is failing: its circuit breaker is open.', kind: 'circuit-open' };

/** Maps an upstream-client or socket error to what the client is told. */
export function classifyUpstreamError(err: Error & { code?: string }): UpstreamFailure {
  switch (err.code) {
    case 'TG_UP_CONNECT_TIMEOUT':
    case 'TG_UP_TIMEOUT':
    case 'ETIMEDOUT':
      return TIMEOUT;
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return CONNECT;
    case 'ECONNRESET':
    case 'EPIPE':
    case 'TG_UP_CLOSED':
      return RESET;
    case 'TG_UP_BAD_REQUEST':
      return REQUEST;
    default:
      return PROTOCOL;
  }
}

/**
 * The retry condition (upstream `retry.on`) an error meets: `connect` when no connection was made
 * (refused, unreachable, connect timeout: the request never left), `reset` when the connection
 * closed before an answer, `timeout` when the answer did not begin in time; null for the others.
 */
export function retryCondition(err: Error & { code?: string }): 'connect' | 'reset' | 'timeout' | null {
  if (err.code === 'TG_UP_CONNECT_TIMEOUT') return 'connect';
  const kind = classifyUpstreamError(err).kind;
  return kind === 'connect' || kind === 'reset' || kind === 'timeout' ? kind : null;
}

/**
 * The one place where a failed upstream call is answered: a transport error or timeout (after
 * any retries), no healthy target, every circuit open. An answer made in place of the upstream's
 * (a fallback, a stale cache entry) hooks in here.
 */
export function replyUpstreamFailure(ctx: RequestContext, failure: UpstreamFailure, closeConnection = false): void {
  replyProblem(ctx.exchange, ctx.requestId, failure.code, failure.detail, null, closeConnection);
}
