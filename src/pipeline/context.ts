import type { Exchange } from './exchange.js';
import type { CompiledRoute } from './types.js';

/**
 * Everything the pipeline knows about one request, copied out of the uWS request before any
 * asynchronous step (uWS request objects die when the handler returns).
 */
export interface RequestContext {
  /** As sent (HTTP methods are case-sensitive). */
  method: string;
  /** Normalised path used for matching and forwarding. */
  path: string;
  /** Raw query string without '?', '' when absent; passed through unchanged. */
  query: string;
  /** The target had a '?' (a bare '?' with an empty query is forwarded as sent). */
  hasQuery: boolean;
  /** Host header lowercased, port stripped; '' when absent. */
  host: string;
  /** Host header as received. */
  rawHost: string;
  /** Request headers as received, lowercase names: [name0, value0, name1, value1, ...]. */
  headers: string[];
  /** The Connection header value(s), '' when absent: names listed there are hop-by-hop too. */
  connection: string;
  /** The scheme the client used: https on a TLS listener, http on a plain one. */
  scheme: 'http' | 'https';
  remoteAddress: string;
  /** The client's X-Request-Id when well-formed, else generated. */
  requestId: string;
  /** W3C traceparent sent upstream: the client's when valid, else a new trace. */
  traceparent: string;
  params: string[];
  route: CompiledRoute;
  exchange: Exchange;
  startTime: number;
  /** Filled by the upstream stage, read by the access log. */
  upstreamTarget: string;
  /** The upstream answer's status, 0 while none came; set by the upstream stage. */
  upstreamStatus: number;
  /** Milliseconds from dispatch to the upstream pool until the answer's head or the failure; -1 without a call. */
  upstreamMs: number;
  /**
   * Who made the request, set by the auth stage (the consumer an API key names, or a JWT's
   * consumer claim); null on public routes and before auth. Sent upstream as X-Consumer-Id.
   */
  consumer: string | null;
  /**
   * Headers that whatever answer this request gets carries (the rate-limit stages' RateLimit-Policy
   * and RateLimit), as a flat name/value list; null: none. Written by the exchange with the head.
   */
  answerHeaders: string[] | null;
  /** Requests left in the policy answerHeaders reports (the most restrictive so far); -1: none yet. */
  rateLimitRemaining: number;
  /** Fields the route's plugins added to the access line (req.log); null: none. */
  pluginFields: Record<string, unknown> | null;
}
