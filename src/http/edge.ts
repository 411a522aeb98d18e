import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { performance } from 'node:perf_hooks';
import type { RouteTable } from '../routing/route-table.js';
import { METHOD_NOT_ALLOWED, NOT_FOUND } from '../routing/route-table.js';
import { normalizePath } from '../routing/normalize-path.js';
import type { CompiledRoute } from '../pipeline/types.js';
import type { RequestContext } from '../pipeline/context.js';
import { replyProblem } from '../pipeline/problem-reply.js';
import type { Logger } from '../observability/logger.js';
import { UwsExchange } from './uws-exchange.js';
import { acceptRequestId, isValidTraceparent, newTraceparent } from './request-id.js';
import { classifyTransferEncoding, endsConnection, hasNonAsciiPath, isFieldValue, isForwardableQuery, isValidHost } from './request-checks.js';

/** What one config generation gives the edge; swapped as one reference on reload. */
export interface EdgeState {
  generation: number;
  table: RouteTable;
  routes: readonly CompiledRoute[];
  maxHeaderSize: number;
  /** limits.chunkedRequests: chunked request bodies are accepted instead of answered 411. */
  chunkedRequests: boolean;
}

export interface EdgeHooks {
  state(): EdgeState;
  draining(): boolean;
  onStart(): void;
  onFinish(ex: UwsExchange): void;
  log: Logger;
  /** Test-only fault injection (x-tollgate-fault: crash-worker). */
  faultInjection: boolean;
}

const DIGITS = /^\d{1,15}$/;

// This uWS build lowercases the method even in getCaseSensitiveMethod(); methods are matched
// and forwarded uppercase, through a table so the common ones cost no string allocation.
const METHODS: Record<string, string> = {
  get: 'GET', head: 'HEAD', post: 'POST', put: 'PUT', delete: 'DELETE', patch: 'PATCH', options: 'OPTIONS',
};

function upperMethod(lower: string): string {
  return METHODS[lower] ?? lower.toUpperCase();
}

/**
 * The uWS request handler: copies what the pipeline needs out of the uWS request synchronously,
 * answers malformed and unroutable requests, and hands the rest to the route's compiled chain.
 */
export function createEdge(hooks: EdgeHooks): (res: HttpResponse, req: HttpRequest) => void {
  return (res, req) => {
    // Read the generation once: this request runs entirely on it even if a reload swaps it now.
    const state = hooks.state();
    const method = upperMethod(req.getMethod());
    const url = req.getUrl();
    // undefined when the target has no '?'; '' for a bare '?', which is forwarded as sent.
    const rawQuery = req.getQuery();
    const query = rawQuery ?? '';
    const headers: string[] = [];
    let size = method.length + url.length + query.length + 14;
    let rawHost = '';
    let hosts = 0;
    let requestId = '';
    let traceparent = '';
    let contentLength = '';
    let lengthLines = 0;
    let codings: string[] | null = null;
    let badField = '';
    let fault = '';
    let connection = '';
    req.forEach((name, value) => {
      headers.push(name, value);
      size += name.length + value.length + 4;
      if (!isFieldValue(value)) badField = name;
      switch (name) {
        case 'host': rawHost = value; hosts++; break;
        case 'x-request-id': requestId = value; break;
        case 'traceparent': traceparent = value; break;
        case 'transfer-encoding': (codings ??= []).push(value); break;
        case 'x-tollgate-fault': fault = value; break;
        case 'connection': connection = connection === '' ? value : connection + ', ' + value; break;
        case 'content-length':
          // uWS frames the body by the first Content-Length: a second line, even an equal one
          // (which strict parsers such as llhttp refuse), is refused rather than guessed at.
          lengthLines++;
          contentLength = value;
          break;
      }
    });
    const id = acceptRequestId(requestId);
    const coding = codings === null ? null : classifyTransferEncoding(codings);
    const chunked = coding !== null;
    const declared = chunked ? -1 : lengthLines === 0 ? 0 : DIGITS.test(contentLength) ? Number(contentLength) : -2;
    const ex = new UwsExchange(res, declared < 0 ? (chunked ? -1 : 0) : declared, id, hooks.draining, hooks.onFinish);
    ex.method = method;
    ex.path = url;
    // For the access log, refused and unrouted requests included.
    ex.rawPath = url;
    ex.query = query;
    ex.headers = headers;
    ex.remoteAddress = remoteAddressOf(res);
    ex.startTime = performance.now();
    if (connection !== '') ex.closeRequested = endsConnection(connection);
    hooks.onStart();

    // Framing first: where uWS and a front proxy may disagree on where this request ends, the
    // answer closes the connection and nothing after it on the connection is read (see
    // UwsExchange.reply: such answers are written after uWS has finished parsing this read).
    if (size > state.maxHeaderSize) {
      replyProblem(ex, id, 'TG_HEADERS_TOO_LARGE', `The request header block exceeds ${state.maxHeaderSize} bytes.`, null, true);
      return;
    }
    if (method === 'CONNECT') {
      // No tunnels here, and strict parsers take what follows a CONNECT head as tunnel bytes
      // while uWS frames a body by its Content-Length.
      replyProblem(ex, id, 'TG_METHOD_NOT_IMPLEMENTED', 'CONNECT is not supported: the gateway opens no tunnels.', null, true);
      return;
    }
    if (lengthLines > 1 || declared === -2) {
      replyProblem(ex, id, 'TG_BAD_FRAMING', 'Invalid or repeated Content-Length.', null, true);
      return;
    }
    if (coding !== null) {
      if (lengthLines > 0) {
        replyProblem(ex, id, 'TG_BAD_FRAMING', 'Content-Length and Transfer-Encoding must not be sent together.', null, true);
        return;
      }
      if (coding === 'invalid') {
        replyProblem(ex, id, 'TG_BAD_FRAMING', 'Transfer-Encoding must be one header line saying exactly "chunked".', null, true);
        return;
      }
      if (coding === 'unsupported') {
        replyProblem(ex, id, 'TG_CODING_NOT_IMPLEMENTED', 'The only request transfer coding accepted is "chunked".', null, true);
        return;
      }
      if (!state.chunkedRequests) {
        replyProblem(ex, id, 'TG_LENGTH_REQUIRED', 'Chunked request bodies are not accepted here: send a Content-Length.', null, true);
        return;
      }
    }
    if (hosts !== 1 || !isValidHost(rawHost)) {
      replyProblem(ex, id, 'TG_BAD_HOST', hosts === 0 ? 'The request has no Host header.' : hosts > 1 ? 'The request has more than one Host header.' : 'The Host header is not a valid host[:port].', null, true);
      return;
    }
    if (badField !== '') {
      replyProblem(ex, id, 'TG_BAD_HEADER', `The value of the ${JSON.stringify(badField)} header contains control characters or bytes that are not UTF-8.`, null, true);
      return;
    }
    if (!isForwardableQuery(query)) {
      replyProblem(ex, id, 'TG_BAD_PATH', 'The query string contains spaces, control characters or bytes that are not ASCII.', null, true);
      return;
    }
    const path = normalizePath(url);
    // normalizePath gives the same string back unless the path needs work, the only case where it
    // can hold non-ASCII. Closed like the framing refusals: after a target strict parsers refuse
    // (non-ASCII, broken bytes), nothing on the connection has agreed boundaries (RFC 9112 §2.2).
    if (path === null || (path !== url && hasNonAsciiPath(url))) {
      replyProblem(ex, id, 'TG_BAD_PATH', 'The request path is malformed, escapes the root or is not ASCII.', null, true);
      return;
    }
    ex.path = path;
    const host = hostWithoutPort(rawHost);
    const params: string[] = [];
    const index = state.table.lookup(method, host, path, params);
    if (index === NOT_FOUND) {
      replyProblem(ex, id, 'TG_NOT_FOUND', 'No route matches this path.', null, ex.hasBody);
      return;
    }
    if (index === METHOD_NOT_ALLOWED) {
      const allow = state.table.allowedMethods(host, path).join(', ');
      replyProblem(ex, id, 'TG_METHOD_NOT_ALLOWED', `The route does not accept ${method}.`, ['allow', allow], ex.hasBody);
      return;
    }
    if (hooks.faultInjection && fault === 'crash-worker') {
      ex.reply(202, [], 'crashing');
      setImmediate(() => {
        throw new Error('fault injection: crash-worker');
      });
      return;
    }
    const route = state.routes[index]!;
    const ctx: RequestContext = {
      method, path, query, hasQuery: rawQuery !== undefined, host, rawHost, headers, connection,
      remoteAddress: ex.remoteAddress,
      requestId: id,
      traceparent: isValidTraceparent(traceparent) ? traceparent : newTraceparent(),
      params, route, exchange: ex, startTime: ex.startTime, upstreamTarget: '', upstreamStatus: 0, upstreamMs: -1,
    };
    ex.ctx = ctx;
    try {
      route.handle(ctx);
    } catch (err) {
      hooks.log.error({ route: route.id, requestId: id, err }, 'route handler threw');
      if (!ex.finished) replyProblem(ex, id, 'TG_INTERNAL', 'The gateway failed to handle this request.');
    }
  };
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

const decoder = new TextDecoder();

function remoteAddressOf(res: HttpResponse): string {
  const text = decoder.decode(res.getRemoteAddressAsText());
  // A dual-stack listener reports IPv4 clients as IPv4-mapped IPv6.
  return text.startsWith('::ffff:') && text.indexOf('.') > 0 ? text.slice(7) : text;
}
