import type { StageFactory } from '../../pipeline/types.js';
import { replyProblem } from '../../pipeline/problem-reply.js';
import { guarded } from '../../pipeline/guard.js';
import type { RequestContext } from '../../pipeline/context.js';
import { compileRewrite } from './rewrite.js';
import { planRequestHeaders, upstreamHeaders } from './request-headers.js';
import { planResponseHeaders } from './response-headers.js';
import { RequestBodyStream } from './request-body.js';
import { UpstreamCall, type CallOptions } from './upstream-call.js';
import { ResilientCall, compileResilience, unavailable } from './resilient-call.js';
import { sharedTime } from '../../shm/shared-clock.js';
import { replyUpstreamFailure } from './upstream-errors.js';

/**
 * Terminal stage: forwards the request to the route's upstream and streams the answer back. A
 * plain upstream (static targets, round-robin, no health check, breaker or retry) gets the
 * handler that picks without shared state; the others get the resilient one, chosen here once.
 */
export const proxyStage: StageFactory = (route, deps) => {
  if (route.upstream === null) return null;
  const upstream = deps.upstreams.get(route.upstream);
  const timeout = route.timeout ?? upstream.config.timeout.response;
  const idleTimeout = upstream.config.timeout.idle;
  const buildPath = compileRewrite(route.match.path, route.rewrite);
  const requestPlan = planRequestHeaders(route.headers.request, deps.trustedProxies);
  const responsePlan = planResponseHeaders(route.headers.response);
  const maxBody = deps.config.limits.maxBodySize;
  const bodyDeadline = deps.config.limits.requestTimeout;
  const log = deps.log;
  const meter = deps.meters.upstream(route.upstream);
  const options = (ctx: RequestContext): CallOptions => {
    const path = buildPath(ctx.path, ctx.params);
    return {
      path: ctx.hasQuery ? path + '?' + ctx.query : path,
      headers: upstreamHeaders(ctx, requestPlan),
      host: requestPlan.host,
      timeout,
      idleTimeout,
      responsePlan,
      log,
      meter,
    };
  };
  const send = (ctx: RequestContext, call: UpstreamCall): void => {
    if (!ctx.exchange.hasBody) call.start(null);
    else streamBody(ctx, call, maxBody, bodyDeadline);
  };
  const tooLarge = (ctx: RequestContext): boolean => {
    if (ctx.exchange.contentLength <= maxBody) return false;
    replyProblem(ctx.exchange, ctx.requestId, 'TG_BODY_TOO_LARGE', `The request body exceeds ${maxBody} bytes.`, null, true);
    return true;
  };

  const plainPick = upstream.plainPick;
  if (plainPick !== null) {
    return (ctx) => {
      if (!tooLarge(ctx)) send(ctx, new UpstreamCall(ctx, plainPick(), options(ctx)));
    };
  }
  const r = compileResilience(upstream);
  return (ctx) => {
    if (tooLarge(ctx)) return;
    const now = sharedTime(ctx.startTime);
    // Read per request: DNS discovery replaces the picker when the targets change.
    const picker = upstream.picker;
    const target = picker.pick(r.keyOf(ctx), null, now);
    if (target === null) {
      // No connection attempted: every target is down or has its circuit open. A body not read
      // yet would be taken for the next request, so the connection closes after the answer.
      replyUpstreamFailure(ctx, unavailable(upstream), ctx.exchange.hasBody);
      return;
    }
    upstream.budget?.noteRequest(now);
    send(ctx, new ResilientCall(ctx, target, options(ctx), r, picker.probe));
  };
};

/**
 * Request bodies with a Content-Length up to this size are read whole before the upstream call
 * starts (nginx's proxy_request_buffering): a client trickling a small body then holds no
 * upstream connection, so slow uploaders cannot take every connection of a pool (they did: 333
 * clients sending 1 KB a byte at a time made every other request wait for a socket and time
 * out). Larger and chunked bodies stream, with backpressure, as they arrive.
 */
const BUFFERED_BODY = 64 * 1024;

/**
 * Starts the upstream call once the body is read (up to BUFFERED_BODY) or at its first chunk
 * (larger bodies, which stream). A body read whole goes up as one Buffer with the head.
 */
function streamBody(ctx: RequestContext, call: UpstreamCall, maxBody: number, deadline: number): void {
  const ex = ctx.exchange;
  let received = 0;
  let stream: RequestBodyStream | null = null;
  const declared = ex.contentLength;
  let held: Buffer | null = null;
  const timer = setTimeout(guarded(ex, 'request body timer', () => {
    if (ex.finished) return;
    if (!call.responseStarted) replyProblem(ex, ctx.requestId, 'TG_REQUEST_TIMEOUT', 'The request body did not arrive in time.', null, true);
    call.cancel(new Error('request body timeout'));
    ex.abort();
  }), deadline);
  ex.readBody((chunk, last) => {
    if (ex.finished) return;
    received += chunk.length;
    if (received > maxBody) {
      clearTimeout(timer);
      if (!call.responseStarted) {
        replyProblem(ex, ctx.requestId, 'TG_BODY_TOO_LARGE', `The request body exceeds ${maxBody} bytes.`, null, true);
      }
      call.cancel(new Error('request body too large'));
      ex.abort();
      return;
    }
    if (last) clearTimeout(timer);
    if (stream === null) {
      if (last && held === null) {
        call.start(chunk);
        return;
      }
      if (declared > 0 && declared <= BUFFERED_BODY) {
        held ??= Buffer.allocUnsafe(declared);
        chunk.copy(held, received - chunk.length);
        if (last) call.start(held.subarray(0, received));
        return;
      }
      stream = new RequestBodyStream(ex);
      call.start(stream);
    }
    stream.offer(chunk, last);
  });
}
