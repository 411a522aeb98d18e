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

/** What one config generation gives the edge; swapped as one reference on reload. */
export interface EdgeState {
  generation: number;
  table: RouteTable;
  routes: readonly CompiledRoute[];
  maxHeaderSize: number;
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
    const query = req.getQuery() ?? '';
    const headers: string[] = [];
    let size = method.length + url.length + query.length + 14;
    let rawHost = '';
    let requestId = '';
    let traceparent = '';
    let contentLength = '';
    let lengthConflict = false;
    let chunked = false;
    let fault = '';
    let connection = '';
    req.forEach((name, value) => {
      headers.push(name, value);
      size += name.length + value.length + 4;
      switch (name) {
        case 'host': rawHost = value; break;
        case 'x-request-id': requestId = value; break;
        case 'traceparent': traceparent = value; break;
        case 'transfer-encoding': chunked = true; break;
        case 'x-tollgate-fault': fault = value; break;
        case 'connection': connection = connection === '' ? value : connection + ', ' + value; break;
        case 'content-length':
          // uWS frames the body by the first Content-Length; differing copies are a smuggling attempt.
          if (contentLength !== '' && contentLength !== value) lengthConflict = true;
          contentLength = value;
          break;
      }
    });
    const id = acceptRequestId(requestId);
    const declared = chunked ? -1 : contentLength === '' ? 0 : DIGITS.test(contentLength) ? Number(contentLength) : -2;
    const ex = new UwsExchange(res, declared < 0 ? (chunked ? -1 : 0) : declared, id, hooks.draining, hooks.onFinish);
    ex.method = method;
    ex.path = url;
    ex.startTime = performance.now();
    hooks.onStart();

    if (size > state.maxHeaderSize) {
      replyProblem(ex, id, 'TG_HEADERS_TOO_LARGE', `The request header block exceeds ${state.maxHeaderSize} bytes.`, null, true);
      return;
    }
    if (lengthConflict || declared === -2) {
      replyProblem(ex, id, 'TG_BAD_REQUEST', 'Invalid or conflicting Content-Length.', null, true);
      return;
    }
    const path = normalizePath(url);
    if (path === null) {
      replyProblem(ex, id, 'TG_BAD_PATH', 'The request path is malformed or escapes the root.', null, ex.hasBody);
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
      method, path, query, host, rawHost, headers, connection,
      remoteAddress: remoteAddressOf(res),
      requestId: id,
      traceparent: isValidTraceparent(traceparent) ? traceparent : newTraceparent(),
      params, route, exchange: ex, startTime: ex.startTime, upstreamTarget: '',
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
