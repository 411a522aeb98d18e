import type { Exchange } from './exchange.js';
import type { CompiledRoute } from './types.js';
import { isValidTraceparent, newTraceparent } from '../http/request-id.js';

/** Where a context reads the client's address and the request id from on first use (the edge's exchange: UwsExchange). */
export interface RequestSource {
  readonly remoteAddress: string;
  readonly requestId: string;
}

/**
 * Everything the pipeline knows about one request, copied out of the uWS request before any
 * asynchronous step (uWS request objects die when the handler returns).
 *
 * Three fields are worked out on first read, since many answers never need them: the client's
 * address (a getpeername() system call in uWS on every read, about 2 us: a cache hit or a local
 * answer never asks for it unless the access log does), the traceparent (a new trace id unless
 * the client sent a valid one: only what goes upstream or into the access log uses it) and a
 * generated request id's text (the answer's X-Request-Id line is written without it). The
 * address is read while the client's request is still open; once its answer is complete uWS
 * forbids touching the response, and an address never read before then reads as ''. Whatever
 * needs it later (the access log, a background refresh) reads it before the answer.
 */
export class RequestContext {
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
  params: string[];
  route: CompiledRoute;
  exchange: Exchange;
  startTime: number;
  /** Filled by the upstream stage, read by the access log. */
  upstreamTarget = '';
  /** The upstream answer's status, 0 while none came; set by the upstream stage. */
  upstreamStatus = 0;
  /** Milliseconds from dispatch to the upstream pool until the answer's head or the failure; -1 without a call. */
  upstreamMs = -1;
  /**
   * Who made the request, set by the auth stage (the consumer an API key names, or a JWT's
   * consumer claim); null on public routes and before auth. Sent upstream as X-Consumer-Id.
   */
  consumer: string | null = null;
  /**
   * Headers that whatever answer this request gets carries (the rate-limit stages' RateLimit-Policy
   * and RateLimit), as a flat name/value list; null: none. Written by the exchange with the head.
   */
  answerHeaders: string[] | null = null;
  /** Requests left in the policy answerHeaders reports (the most restrictive so far); -1: none yet. */
  rateLimitRemaining = -1;
  /** Fields the route's plugins added to the access line (req.log); null: none. */
  pluginFields: Record<string, unknown> | null = null;
  /** The client's address once read; null: not yet (see remoteAddress). */
  private address: string | null;
  /** The request id once read; null: not yet (see requestId). */
  private id: string | null;
  /** The client's traceparent header as sent ('' when none), until `traceparent` is first read. */
  private clientTrace: string;
  private trace: string | null = null;

  constructor(
    method: string, path: string, query: string, hasQuery: boolean, host: string, rawHost: string, headers: string[], connection: string,
    scheme: 'http' | 'https',
    /** The request id; null: the source's, read on first use. */
    requestId: string | null,
    params: string[], route: CompiledRoute, exchange: Exchange, startTime: number,
    /** Read on the first use of remoteAddress (and of requestId when null); null: the address is `address`. */
    private readonly source: RequestSource | null,
    /** The client's traceparent header as sent, '' when none. */
    clientTraceparent: string,
    address: string | null = null,
  ) {
    this.method = method;
    this.path = path;
    this.query = query;
    this.hasQuery = hasQuery;
    this.host = host;
    this.rawHost = rawHost;
    this.headers = headers;
    this.connection = connection;
    this.scheme = scheme;
    this.id = requestId;
    this.params = params;
    this.route = route;
    this.exchange = exchange;
    this.startTime = startTime;
    this.clientTrace = clientTraceparent;
    this.address = address;
  }

  /** The peer's address (behind a load balancer: the balancer's; see clientAddress for X-Forwarded-For). */
  get remoteAddress(): string {
    let a = this.address;
    if (a === null) {
      a = this.source === null ? '' : this.source.remoteAddress;
      this.address = a;
    }
    return a;
  }

  /**
   * The client's X-Request-Id when well-formed, else generated: read from the source on first use
   * (a generated id is only made text when something reads it, see request-id.ts).
   */
  get requestId(): string {
    let id = this.id;
    if (id === null) {
      id = this.source === null ? '' : this.source.requestId;
      this.id = id;
    }
    return id;
  }

  /** W3C traceparent sent upstream: the client's when valid, else a new trace (made once, on first read). */
  get traceparent(): string {
    let t = this.trace;
    if (t === null) {
      t = isValidTraceparent(this.clientTrace) ? this.clientTrace : newTraceparent();
      this.trace = t;
      this.clientTrace = '';
    }
    return t;
  }

  /**
   * A context of its own for work that outlives the client's request (a background refresh), on
   * `exchange`: the same request, with its own header and params lists. Made while the client's
   * request is still open, so the address is read now.
   */
  detachedCopy(exchange: Exchange): RequestContext {
    const copy = new RequestContext(
      this.method, this.path, this.query, this.hasQuery, this.host, this.rawHost, this.headers.slice(), this.connection,
      this.scheme, this.requestId, this.params.slice(), this.route, exchange, this.startTime, null, '', this.remoteAddress,
    );
    copy.trace = this.traceparent;
    copy.upstreamTarget = this.upstreamTarget;
    copy.upstreamStatus = this.upstreamStatus;
    copy.upstreamMs = this.upstreamMs;
    copy.consumer = this.consumer;
    copy.answerHeaders = this.answerHeaders;
    copy.rateLimitRemaining = this.rateLimitRemaining;
    copy.pluginFields = this.pluginFields;
    return copy;
  }
}
