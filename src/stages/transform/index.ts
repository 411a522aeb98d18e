import type { RequestContext } from '../../pipeline/context.js';
import { replyProblem } from '../../pipeline/problem-reply.js';
import type { Handler, StageFactory } from '../../pipeline/types.js';
import { readWholeBody, ReplacedBodyExchange } from '../../pipeline/whole-body.js';
import type { Logger } from '../../observability/logger.js';
import { isJsonFamilyType } from '../../json/media-type.js';
import { compileJsonProgram, runJsonProgram, type JsonProgram } from './json-program.js';
import { TransformingExchange, type ResponseTransform } from './transforming-exchange.js';

/** At most one "too large to transform" warning per route in this window; the next says how many were not logged. */
const WARN_EVERY_MS = 60_000;

interface RequestTransform {
  program: JsonProgram;
  /** A body that is not JSON: true answers 400, false sends it on untouched. */
  invalidIsError: boolean;
}

/**
 * Route `transform`: declarative JSON body changes (json-program.ts). It sits after translate in
 * STAGE_ORDER: a MessagePack request body is JSON by the time the request rules run, and the
 * response rules wrap the exchange inside translation's, so a MessagePack client gets the
 * transformed answer translated. Right after the cache (which stores the transformed answer, so
 * a hit costs no transform) and so inside the fallback (whose configured answer is sent as
 * written); before the terminal stages, so proxied and aggregated answers alike are transformed.
 *
 * Request: a JSON or +json body is read whole (limits.maxBodySize, 413 above,
 * limits.requestTimeout), transformed and sent upstream with its new Content-Length; one that
 * does not parse, or is content-coded, is a 400 problem (onInvalid: error) or sent on as it came
 * (pass). Response: see TransformingExchange; the request goes upstream without Accept-Encoding,
 * so the answer comes uncompressed. A route without `transform` has no transform stage.
 */
export const transformStage: StageFactory = (route, deps, next) => {
  const t = route.transform;
  if (t === null || next === null || (t.request === null && t.response === null)) return null;
  const response: ResponseTransform | null = t.response === null ? null : {
    program: compileJsonProgram(t.response.json),
    invalidIsError: t.response.onInvalid === 'error',
    maxBody: t.response.maxBody,
    oversized: oversizedWarning(deps.log, route.id, t.response.maxBody),
  };
  const request: RequestTransform | null = t.request === null ? null : { program: compileJsonProgram(t.request.json), invalidIsError: t.request.onInvalid === 'error' };
  const maxBody = deps.config.limits.maxBodySize;
  const deadline = deps.config.limits.requestTimeout;

  const transformBody = (ctx: RequestContext, rules: RequestTransform): void => {
    readWholeBody(ctx, maxBody, deadline, (body) => {
      const out = body.length === 0 ? null : runJsonProgram(rules.program, body);
      if (out !== null) ctx.exchange = new ReplacedBodyExchange(ctx.exchange, Buffer.from(out));
      else if (body.length > 0 && rules.invalidIsError) {
        replyProblem(ctx.exchange, ctx.requestId, 'TG_BAD_REQUEST', 'The request body is labelled JSON but does not parse.');
        return;
      } else ctx.exchange = new ReplacedBodyExchange(ctx.exchange, body);
      next(ctx);
    });
  };

  const handler: Handler = (ctx) => {
    if (response !== null) {
      dropAcceptEncoding(ctx.headers);
      ctx.exchange = new TransformingExchange(ctx.exchange, ctx.requestId, response);
    }
    const body = request !== null && ctx.exchange.hasBody ? requestBodyKind(ctx.headers) : NOT_JSON;
    if (body === JSON_BODY) transformBody(ctx, request!);
    else if (body === CODED_JSON_BODY && request!.invalidIsError) replyProblem(ctx.exchange, ctx.requestId, 'TG_BAD_REQUEST', 'The request body is labelled JSON but content-coded, so the route\'s transform cannot read it; send it without Content-Encoding.', null, true);
    else next(ctx);
  };
  return handler;
};

const NOT_JSON = 0;
const JSON_BODY = 1;
const CODED_JSON_BODY = 2;

/** Whether a request body is labelled JSON (or +json), and if so whether it is content-coded (gzip...). */
function requestBodyKind(headers: readonly string[]): number {
  let json = false;
  let coded = false;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i];
    if (name === 'content-type') json = isJsonFamilyType(headers[i + 1]!);
    else if (name === 'content-encoding') coded = headers[i + 1]!.trim().toLowerCase() !== 'identity';
  }
  return !json ? NOT_JSON : coded ? CODED_JSON_BODY : JSON_BODY;
}

/**
 * A route that transforms answers asks its upstream for them uncompressed: a gzip body cannot be
 * read here, and one that slipped through would reach the client untransformed.
 */
function dropAcceptEncoding(headers: string[]): void {
  for (let i = headers.length - 2; i >= 0; i -= 2) if (headers[i] === 'accept-encoding') headers.splice(i, 2);
}

/** Logs that an answer streamed through untransformed: once per WARN_EVERY_MS per route, so a flood of large answers logs a line a minute. */
function oversizedWarning(log: Logger, route: string, maxBody: number): (requestId: string, size: number) => void {
  let lastAt = -Infinity;
  let unlogged = 0;
  return (requestId, size) => {
    const now = Date.now();
    if (now - lastAt < WARN_EVERY_MS) {
      unlogged++;
      return;
    }
    lastAt = now;
    log.warn({ route, requestId, size, maxBody, notLoggedSinceLast: unlogged }, 'answer larger than transform.response.maxBody: sent untransformed');
    unlogged = 0;
  };
}
