import type { RequestContext } from '../../pipeline/context.js';
import { HeaderAddingExchange, requestHeader } from '../../pipeline/forwarding-exchange.js';
import { replyProblem } from '../../pipeline/problem-reply.js';
import type { Handler, StageFactory } from '../../pipeline/types.js';

/**
 * Headers the gateway itself sets that a page may want to read (CORS hides all but the
 * safelisted ones): the request id, aggregation's partial flag, the cache and rate-limit state.
 */
const EXPOSED = 'x-request-id, x-tollgate-partial, x-cache, cache-status, ratelimit, ratelimit-policy, retry-after';

/**
 * An upstream's own CORS answer is replaced by the route's, so a browser never sees two. The
 * cache keeps none of these headers in what it stores for a CORS route either (stored header
 * lines are written as they are, past this filter).
 */
export const notCors = (name: string): boolean => !name.startsWith('access-control-');

/**
 * Route `cors`. A preflight (OPTIONS with Origin and Access-Control-Request-Method) is answered
 * here, before auth (browsers send preflights without credentials): 204 with the allow headers
 * when the origin, method and headers are allowed, else 403 (a problem answer without any CORS
 * header, which the browser reports as a CORS failure). An actual request from an allowed origin
 * gets Access-Control-Allow-Origin (the origin echoed, or `*` for `origins: ["*"]` without
 * credentials) on whatever answer it gets, the gateway's errors included; every answer of the
 * route carries Vary: Origin when the allow header depends on the origin.
 *
 * The route table lists OPTIONS for a CORS route whose match.methods lacks it (see
 * routeTableMethods in config/schema/cors.ts), so a preflight is not refused with 405 before it reaches this stage; an
 * OPTIONS that is not a preflight gets the 405 here that the route table would have given.
 */
export const corsStage: StageFactory = (route, _deps, next) => {
  const cors = route.cors;
  if (cors === null || next === null) return null;
  const anyOrigin = cors.origins.includes('*') && !cors.credentials;
  const origins = new Set(cors.origins);
  const routeMethods = route.match.methods;
  const allowedMethods = cors.methods ?? routeMethods;
  const methodSet = allowedMethods === null ? null : new Set(allowedMethods);
  const headerSet = cors.headers === null ? null : new Set(cors.headers);
  const optionsRefused = routeMethods !== null && !routeMethods.includes('OPTIONS');
  const allowHeader = routeMethods?.join(', ') ?? '';

  const common: string[] = [];
  if (cors.credentials) common.push('access-control-allow-credentials', 'true');
  const vary = anyOrigin ? [] : ['vary', 'Origin'];
  const actualAny = ['access-control-allow-origin', '*', 'access-control-expose-headers', EXPOSED];
  const preflightFixed: string[] = [...common];
  if (cors.maxAge !== null) preflightFixed.push('access-control-max-age', String(Math.floor(cors.maxAge / 1000)));
  const preflightVary = [...vary, 'vary', 'Access-Control-Request-Method, Access-Control-Request-Headers'];

  const allows = (origin: string | null): origin is string => origin !== null && (anyOrigin || origins.has(origin.toLowerCase()));

  const refuse = (ctx: RequestContext, detail: string): void => {
    replyProblem(ctx.exchange, ctx.requestId, 'TG_CORS_REFUSED', detail, preflightVary);
  };

  const preflight = (ctx: RequestContext, origin: string | null, method: string): void => {
    if (!allows(origin)) {
      refuse(ctx, 'The origin is not allowed to call this route.');
      return;
    }
    if (methodSet !== null && !methodSet.has(method)) {
      refuse(ctx, `The method ${method} is not allowed for cross-origin requests to this route.`);
      return;
    }
    const requested = requestHeader(ctx.headers, 'access-control-request-headers');
    let allowHeaders = '';
    if (requested !== null && requested.trim() !== '') {
      const names = requested.split(',').map((h) => h.trim().toLowerCase()).filter((h) => h !== '');
      if (headerSet !== null) {
        const refused = names.filter((h) => !headerSet.has(h));
        if (refused.length > 0) {
          refuse(ctx, `The header(s) ${refused.join(', ')} are not allowed for cross-origin requests to this route.`);
          return;
        }
      }
      allowHeaders = names.join(', ');
    }
    const headers = [
      'access-control-allow-origin', anyOrigin ? '*' : origin,
      'access-control-allow-methods', allowedMethods === null ? method : allowedMethods.join(', '),
      ...preflightFixed, ...preflightVary,
    ];
    if (allowHeaders !== '') headers.push('access-control-allow-headers', allowHeaders);
    ctx.exchange.replyNoBody(204, headers, -1);
  };

  const handler: Handler = (ctx) => {
    const origin = requestHeader(ctx.headers, 'origin');
    if (ctx.method === 'OPTIONS') {
      const method = requestHeader(ctx.headers, 'access-control-request-method');
      if (origin !== null && method !== null) {
        preflight(ctx, origin, method.trim());
        return;
      }
      if (optionsRefused) {
        replyProblem(ctx.exchange, ctx.requestId, 'TG_METHOD_NOT_ALLOWED', 'The route does not accept OPTIONS.', ['allow', allowHeader], ctx.exchange.hasBody);
        return;
      }
    }
    let extra: readonly string[] = vary;
    if (allows(origin)) extra = anyOrigin ? actualAny : ['access-control-allow-origin', origin, 'access-control-expose-headers', EXPOSED, ...common, ...vary];
    ctx.exchange = new HeaderAddingExchange(ctx.exchange, extra, notCors);
    next(ctx);
  };
  return handler;
};
