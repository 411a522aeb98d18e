import type { ErrorCode } from '../../errors/codes.js';

export interface UpstreamFailure {
  code: ErrorCode;
  /** Short, safe for clients: never the upstream's own words. */
  detail: string;
  /** For logs and metrics. */
  kind: 'timeout' | 'connect' | 'reset' | 'protocol' | 'request';
}

const TIMEOUT: UpstreamFailure = { code: 'TG_UPSTREAM_TIMEOUT', detail: 'The upstream did not answer in time.', kind: 'timeout' };
const CONNECT: UpstreamFailure = { code: 'TG_UPSTREAM_FAILED', detail: 'The upstream could not be reached.', kind: 'connect' };
const RESET: UpstreamFailure = { code: 'TG_UPSTREAM_FAILED', detail: 'The upstream closed the connection.', kind: 'reset' };
const REQUEST: UpstreamFailure = { code: 'TG_BAD_HEADER', detail: 'The request cannot be forwarded: its target or a header would not be a valid HTTP/1.1 request head.', kind: 'request' };
const PROTOCOL: UpstreamFailure = { code: 'TG_UPSTREAM_FAILED', detail: 'The upstream sent an invalid response.', kind: 'protocol' };

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
