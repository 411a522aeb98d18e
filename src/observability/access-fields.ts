// The access-log fields `log.accessFields` may name (the config schema imports this list; the
// readers are in access-log.ts). The default is SPEC §2's list, in its order.

export const DEFAULT_ACCESS_FIELDS = [
  'time', 'route', 'method', 'path', 'rawPath', 'query', 'host', 'status', 'durationMs', 'upstream',
  'upstreamStatus', 'upstreamMs', 'bytesIn', 'bytesOut', 'remoteAddress', 'userAgent', 'requestId', 'traceparent',
] as const;

/** Fields beyond the default, for those who want them: headers as the client sent them. */
export const EXTRA_ACCESS_FIELDS = ['forwardedFor', 'referer', 'consumer'] as const;

export const ACCESS_FIELDS = [...DEFAULT_ACCESS_FIELDS, ...EXTRA_ACCESS_FIELDS] as const;

export type AccessField = (typeof ACCESS_FIELDS)[number];

/** What each field holds, for the config reference (docs/config.md) and the JSON Schema. */
export const ACCESS_FIELD_MEANINGS: Record<AccessField, string> = {
  time: 'the line\'s timestamp (ISO 8601, when the answer finished)',
  route: 'route id; null when no route matched',
  method: 'request method',
  path: 'normalised path (what routes match); the target as sent when it could not be normalised',
  rawPath: 'the path as the client sent it, before normalising',
  query: 'query string without "?"; null when none',
  host: 'Host header as sent (with its port, if any)',
  status: 'status sent to the client; 499 when the client went away first',
  durationMs: 'milliseconds from the request head to the end of the answer (microsecond decimals)',
  upstream: 'upstream target origin the request went to; null when none',
  upstreamStatus: 'status of the upstream\'s answer; null when none came (connect error, timeout, no upstream)',
  upstreamMs: 'milliseconds from handing the request to the upstream pool (queueing and connecting included) to the head of its answer, or to its failure',
  bytesIn: 'request body bytes read',
  bytesOut: 'response body bytes written',
  remoteAddress: 'address of the peer (behind a load balancer: the balancer; see forwardedFor)',
  userAgent: 'User-Agent header; null when absent',
  requestId: 'X-Request-Id sent back (the client\'s when well-formed, else generated)',
  traceparent: 'W3C traceparent sent upstream; null when no route matched',
  forwardedFor: 'X-Forwarded-For header as received; null when absent (not in the default)',
  referer: 'Referer header; null when absent (not in the default)',
  consumer: 'the authenticated consumer (X-Consumer-Id sent upstream); null on public routes and refused requests (not in the default)',
};
