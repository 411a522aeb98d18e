import type { HttpRequest, HttpResponse, us_socket_context_t, WebSocketBehavior } from 'uWebSockets.js';
import { METHODS } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { RouteTable } from '../routing/route-table.js';
import { METHOD_NOT_ALLOWED, NOT_FOUND } from '../routing/route-table.js';
import { normalizePath } from '../routing/normalize-path.js';
import type { CompiledRoute } from '../pipeline/types.js';
import { RequestContext } from '../pipeline/context.js';
import { takeScratch } from '../pipeline/scratch-list.js';
import { replyProblem } from '../pipeline/problem-reply.js';
import type { Logger } from '../observability/logger.js';
import { PROBLEM_CONTENT_TYPE, problemBody } from '../errors/problem.js';
import { UwsExchange, type ExchangeHooks } from './uws-exchange.js';
import { statusLine } from './status-line.js';
import { clientRequestId } from './request-id.js';
import { classifyTransferEncoding, endsConnection, hasNonAsciiPath, isFieldValue, isForwardableQuery, isValidHost } from './request-checks.js';
import type { UwsQuirks } from './uws-builds.js';
import { readUpgrade, UwsUpgrade, webSocketBehavior, type SocketData, type UpgradeRequest } from './websocket-edge.js';

/** What one config generation gives the edge; swapped as one reference on reload. */
export interface EdgeState {
  generation: number;
  table: RouteTable;
  routes: readonly CompiledRoute[];
  maxHeaderSize: number;
  /** limits.chunkedRequests: chunked request bodies are accepted instead of answered 411. */
  chunkedRequests: boolean;
  /** serverTokens: `tollgate/VERSION`, written on answers without a Server header; null when off. */
  serverHeader: string | null;
  /** The access log writes the client's address: every request reads it before its answer (RequestContext). */
  addressUpFront: boolean;
}

/** What the worker gives the edge; the edge itself logs what fails a request (ExchangeHooks.onError). */
export interface EdgeHooks extends Omit<ExchangeHooks, 'onError'> {
  state(): EdgeState;
  onStart(): void;
  log: Logger;
  /** What the loaded uWS build does differently (src/http/uws-builds.ts). */
  quirks: UwsQuirks;
  /** The scheme of the listener this edge serves: https on a TLS listener (X-Forwarded-Proto). */
  scheme: 'http' | 'https';
}

const DIGITS = /^\d{1,15}$/;
/** RFC 9110 §9.1: a method is a token. */
// The methods Node's strict parser (llhttp) knows, case-sensitive: the current uWS build hands
// over any token (`get`, `FOO`), which strict upstreams refuse as a message they cannot frame.
const KNOWN_METHODS: ReadonlySet<string> = new Set(METHODS);

/** The edge of one app: its request handler, and the WebSocket behaviour whose upgrades it routes the same way. */
export type EdgeHandler = ((res: HttpResponse, req: HttpRequest) => void) & { readonly websocket?: WebSocketBehavior<SocketData> };

/**
 * The uWS request handler: copies what the pipeline needs out of the uWS request synchronously,
 * answers malformed and unroutable requests, and hands the rest to the route's compiled chain.
 * WebSocket upgrade requests come through the same handler (from the behaviour's `upgrade`) with
 * the upgrade on the exchange: a websocket route's stage accepts it, any other route answers it
 * as a plain request.
 */
export function createEdge(hooks: EdgeHooks): EdgeHandler {
  const quirks = hooks.quirks;
  // The legacy build drops every method but the nine standard ones itself; the current one hands
  // over any method without spaces or controls, '(' or '@' included (quirk standardMethodsOnly).
  const checkMethod = !quirks.standardMethodsOnly;
  const log = hooks.log;
  const scheme = hooks.scheme;
  const exchangeHooks: ExchangeHooks = {
    draining: hooks.draining,
    onFinish: hooks.onFinish,
    answerHeaders: hooks.answerHeaders,
    onError: (ex, err, where) => {
      log.error({ requestId: ex.requestId, route: ex.ctx === null ? null : ex.ctx.route.id, where, err }, REQUEST_FAILED);
    },
  };
  // The exchange of the request being handled: handlers run one at a time and synchronously, so
  // when one throws, this is its request.
  let handling: UwsExchange | null = null;
  // One for the edge, for the same reason: no closure and context per request for req.forEach.
  const scanner = new HeaderScan();
  // The route lookup's captures, copied out when there are any.
  const paramScratch: string[] = [];
  // The last valid Host header and its host: a connection, and mostly a listener, sees one host.
  let lastRawHost = '';
  let lastHost = '';

  const handle = (res: HttpResponse, req: HttpRequest, upgrade: UpgradeRequest | null): void => {
    // Read the generation once: this request runs entirely on it even if a reload swaps it now.
    const state = hooks.state();
    // Never getMethod(): it lowercases the method in place (quirk getMethodLowercasesInPlace).
    const method = req.getCaseSensitiveMethod();
    const url = req.getUrl();
    // undefined when the target has no '?'; '' for a bare '?', which is forwarded as sent.
    const rawQuery = req.getQuery();
    const query = rawQuery ?? '';
    const scan = scanner.start(method.length + url.length + query.length + 14);
    req.forEach(scan.visit);
    const { size, rawHost, hosts, requestId, traceparent, contentLength, lengthLines, codings, badField, connection } = scan;
    const headers = scan.takeHeaders();
    const clientId = clientRequestId(requestId);
    const coding = codings === null ? null : classifyTransferEncoding(codings);
    const chunked = coding !== null;
    const declared = chunked ? -1 : lengthLines === 0 ? 0 : DIGITS.test(contentLength) ? Number(contentLength) : -2;
    const ex = new UwsExchange(res, declared < 0 ? (chunked ? -1 : 0) : declared, clientId, exchangeHooks, quirks, state.serverHeader);
    handling = ex;
    if (upgrade !== null) ex.upgrade = new UwsUpgrade(ex, res, upgrade);
    ex.method = method;
    ex.path = url;
    // For the access log, refused and unrouted requests included.
    ex.rawPath = url;
    ex.query = query;
    ex.headers = headers;
    // The address is a system call per read (see RequestContext): read now only for the access log,
    // which needs it once the answer is complete, when uWS no longer allows it.
    if (state.addressUpFront) ex.readRemoteAddress();
    ex.startTime = performance.now();
    if (connection !== '') ex.closeRequested = endsConnection(connection);
    hooks.onStart();

    // Framing first: where uWS and a front proxy may disagree on where this request ends, the
    // answer closes the connection and nothing after it on the connection is read (see
    // UwsExchange.reply: such answers are written after uWS has finished parsing this read).
    if (size > state.maxHeaderSize) {
      replyProblem(ex, ex.requestId, 'TG_HEADERS_TOO_LARGE', `The request header block exceeds ${state.maxHeaderSize} bytes.`, null, true);
      return;
    }
    if (method === 'CONNECT') {
      // No tunnels here, and strict parsers take what follows a CONNECT head as tunnel bytes
      // while uWS frames a body by its Content-Length.
      replyProblem(ex, ex.requestId, 'TG_METHOD_NOT_IMPLEMENTED', 'CONNECT is not supported: the gateway opens no tunnels.', null, true);
      return;
    }
    if (lengthLines > 1 || declared === -2) {
      replyProblem(ex, ex.requestId, 'TG_BAD_FRAMING', 'Invalid or repeated Content-Length.', null, true);
      return;
    }
    if (coding !== null) {
      if (lengthLines > 0) {
        replyProblem(ex, ex.requestId, 'TG_BAD_FRAMING', 'Content-Length and Transfer-Encoding must not be sent together.', null, true);
        return;
      }
      if (coding === 'invalid') {
        replyProblem(ex, ex.requestId, 'TG_BAD_FRAMING', 'Transfer-Encoding must be one header line saying exactly "chunked".', null, true);
        return;
      }
      if (coding === 'unsupported') {
        replyProblem(ex, ex.requestId, 'TG_CODING_NOT_IMPLEMENTED', 'The only request transfer coding accepted is "chunked".', null, true);
        return;
      }
      if (!state.chunkedRequests) {
        replyProblem(ex, ex.requestId, 'TG_LENGTH_REQUIRED', 'Chunked request bodies are not accepted here: send a Content-Length.', null, true);
        return;
      }
    }
    // The last Host that passed is valid again (lastRawHost is only set past this check).
    if (hosts !== 1 || (rawHost !== lastRawHost && !isValidHost(rawHost))) {
      replyProblem(ex, ex.requestId, 'TG_BAD_HOST', hosts === 0 ? 'The request has no Host header.' : hosts > 1 ? 'The request has more than one Host header.' : 'The Host header is not a valid host[:port].', null, true);
      return;
    }
    if (badField !== '') {
      replyProblem(ex, ex.requestId, 'TG_BAD_HEADER', `The value of the ${JSON.stringify(badField)} header contains control characters or bytes that are not UTF-8.`, null, true);
      return;
    }
    if (checkMethod && !KNOWN_METHODS.has(method)) {
      replyProblem(ex, ex.requestId, 'TG_METHOD_NOT_IMPLEMENTED', 'The request method is not one the gateway knows (methods are case-sensitive).', null, true);
      return;
    }
    if (!isForwardableQuery(query)) {
      replyProblem(ex, ex.requestId, 'TG_BAD_PATH', 'The query string contains spaces, control characters or bytes that are not ASCII.', null, true);
      return;
    }
    const path = normalizePath(url);
    // normalizePath gives the same string back unless the path needs work, the only case where it
    // can hold non-ASCII. Closed like the framing refusals: after a target strict parsers refuse
    // (non-ASCII, broken bytes), nothing on the connection has agreed boundaries (RFC 9112 §2.2).
    if (path === null || (path !== url && hasNonAsciiPath(url))) {
      replyProblem(ex, ex.requestId, 'TG_BAD_PATH', 'The request path is malformed, escapes the root or is not ASCII.', null, true);
      return;
    }
    ex.path = path;
    let host = lastHost;
    if (rawHost !== lastRawHost) {
      host = hostWithoutPort(rawHost);
      lastRawHost = rawHost;
      lastHost = host;
    }
    const index = state.table.lookup(method, host, path, paramScratch);
    // Most routes capture nothing: they share one empty list instead of an array per request.
    const params = paramScratch.length === 0 ? NO_PARAMS : paramScratch.slice();
    if (index === NOT_FOUND) {
      replyProblem(ex, ex.requestId, 'TG_NOT_FOUND', 'No route matches this path.', null, ex.hasBody);
      return;
    }
    if (index === METHOD_NOT_ALLOWED) {
      const allow = state.table.allowedMethods(host, path).join(', ');
      replyProblem(ex, ex.requestId, 'TG_METHOD_NOT_ALLOWED', `The route does not accept ${method}.`, ['allow', allow], ex.hasBody);
      return;
    }
    const route = state.routes[index]!;
    // The request id and the client's address come from the exchange, on first use.
    const ctx = new RequestContext(method, path, query, rawQuery !== undefined, host, rawHost, headers, connection, scheme, null, params, route, ex, ex.startTime, ex, traceparent);
    ex.ctx = ctx;
    route.handle(ctx);
  };

  const run = (res: HttpResponse, req: HttpRequest, upgrade: UpgradeRequest | null): void => {
    handling = null;
    try {
      handle(res, req, upgrade);
    } catch (err) {
      // An exception in the edge or, synchronously, in a stage: this request fails, not the worker.
      const ex = handling as UwsExchange | null; // set by handle(), which TypeScript does not follow
      if (ex !== null) ex.fail(err, 'request handler');
      else answerUnread(res, err, log, hooks.state().serverHeader);
    } finally {
      const ex = handling as UwsExchange | null;
      handling = null; // keeps no finished request alive until the next one
      if (ex !== null) ex.leaveHandler();
    }
  };
  const http = (res: HttpResponse, req: HttpRequest): void => run(res, req, null);
  const onUpgrade = (res: HttpResponse, req: HttpRequest, context: us_socket_context_t): void => run(res, req, readUpgrade(req, context));
  return Object.assign(http, { websocket: webSocketBehavior(onUpgrade) });
}

const REQUEST_FAILED = 'request failed: exception in the gateway';
/** The params of a route that captures nothing: shared by every such request, never written. */
const NO_PARAMS: string[] = [];

/**
 * What the edge reads from the request's header lines in its one pass (req.forEach): the flat
 * list and the few fields it checks. `visit` is bound once; start() resets the fields per request.
 * The list is gathered in one scratch array and copied out at its exact size (pipeline/scratch-list.ts).
 */
class HeaderScan {
  private readonly scratch: string[] = [];
  private count = 0;
  size = 0;
  rawHost = '';
  hosts = 0;
  requestId = '';
  traceparent = '';
  contentLength = '';
  lengthLines = 0;
  codings: string[] | null = null;
  badField = '';
  connection = '';

  start(size: number): this {
    this.count = 0;
    this.size = size;
    this.rawHost = '';
    this.hosts = 0;
    this.requestId = '';
    this.traceparent = '';
    this.contentLength = '';
    this.lengthLines = 0;
    this.codings = null;
    this.badField = '';
    this.connection = '';
    return this;
  }

  /** The request's header list, its own copy; the scratch keeps no strings of it. */
  takeHeaders(): string[] {
    const n = this.count;
    this.count = 0;
    return takeScratch(this.scratch, n);
  }

  readonly visit = (name: string, value: string): void => {
    const at = this.count;
    this.scratch[at] = name;
    this.scratch[at + 1] = value;
    this.count = at + 2;
    this.size += name.length + value.length + 4;
    if (!isFieldValue(value)) this.badField = name;
    switch (name) {
      case 'host': this.rawHost = value; this.hosts++; break;
      case 'x-request-id': this.requestId = value; break;
      case 'traceparent': this.traceparent = value; break;
      case 'transfer-encoding': (this.codings ??= []).push(value); break;
      case 'connection': this.connection = this.connection === '' ? value : this.connection + ', ' + value; break;
      case 'content-length':
        // uWS frames the body by the first Content-Length: a second line, even an equal one
        // (which strict parsers such as llhttp refuse), is refused rather than guessed at.
        this.lengthLines++;
        this.contentLength = value;
        break;
    }
  };
}

/**
 * The edge threw before the request was copied out (no exchange, no request id yet). uWS
 * forbids returning without an answer or an abort handler: a 500, and the connection closes.
 */
function answerUnread(res: HttpResponse, err: unknown, log: Logger, serverHeader: string | null): void {
  log.error({ requestId: null, route: null, where: 'request handler, reading the request', err }, REQUEST_FAILED);
  res.cork(() => {
    res.writeStatus(statusLine(500)).writeHeader('content-type', PROBLEM_CONTENT_TYPE);
    if (serverHeader !== null) res.writeHeader('server', serverHeader);
    res.end(problemBody('TG_INTERNAL', 'The gateway failed to handle this request.', ''), true);
  });
}

function hostWithoutPort(raw: string): string {
  if (raw === '') return '';
  let end = raw.length;
  if (raw.charCodeAt(0) === 91 /* [ */) {
    const close = raw.indexOf(']');
    end = close < 0 ? raw.length : close + 1;
  } else {
    const colon = raw.lastIndexOf(':');
    if (colon >= 0) end = colon;
  }
  return raw.slice(0, end).toLowerCase();
}
