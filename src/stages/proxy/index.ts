import type { Handler, StageFactory } from '../../pipeline/types.js';
import { replyProblem } from '../../pipeline/problem-reply.js';
import { guarded } from '../../pipeline/guard.js';
import type { RequestContext } from '../../pipeline/context.js';
import { compileRewrite } from './rewrite.js';
import { planRequestHeaders, upstreamHeaders } from './request-headers.js';
import { planResponseHeaders } from './response-headers.js';
import { RequestBodyStream } from './request-body.js';
import { UpstreamCall } from './upstream-call.js';

/** Terminal stage: forwards the request to the route's upstream and streams the answer back. */
export const proxyStage: StageFactory = (route, deps) => {
  if (route.upstream === null) return null;
  const upstream = deps.upstreams.get(route.upstream);
  const timeout = route.timeout ?? upstream.config.timeout.response;
  const buildPath = compileRewrite(route.match.path, route.rewrite);
  const requestPlan = planRequestHeaders(route.headers.request, deps.trustedProxies, deps.config.listen.tls ? 'https' : 'http');
  const responsePlan = planResponseHeaders(route.headers.response);
  const maxBody = deps.config.limits.maxBodySize;
  const bodyDeadline = deps.config.limits.requestTimeout;
  const log = deps.log;

  const handler: Handler = (ctx) => {
    const ex = ctx.exchange;
    if (ex.contentLength > maxBody) {
      replyProblem(ex, ctx.requestId, 'TG_BODY_TOO_LARGE', `The request body exceeds ${maxBody} bytes.`, null, true);
      return;
    }
    const path = buildPath(ctx.path, ctx.params);
    const call = new UpstreamCall(ctx, upstream.pick(), {
      path: ctx.hasQuery ? path + '?' + ctx.query : path,
      headers: upstreamHeaders(ctx, requestPlan),
      host: requestPlan.host,
      timeout,
      responsePlan,
      log,
    });
    if (!ex.hasBody) call.start(null);
    else streamBody(ctx, call, maxBody, bodyDeadline);
  };
  return handler;
};

/**
 * Starts the upstream call as soon as the first body chunk arrives. A body that fits in that
 * first chunk goes up as one Buffer (no stream machinery); a longer one streams.
 */
function streamBody(ctx: RequestContext, call: UpstreamCall, maxBody: number, deadline: number): void {
  const ex = ctx.exchange;
  let received = 0;
  let stream: RequestBodyStream | null = null;
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
      if (last) {
        call.start(chunk);
        return;
      }
      stream = new RequestBodyStream(ex);
      call.start(stream);
    }
    stream.offer(chunk, last);
  });
}
