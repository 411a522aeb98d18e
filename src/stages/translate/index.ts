import type { RequestContext } from '../../pipeline/context.js';
import { replyProblem } from '../../pipeline/problem-reply.js';
import type { Handler, StageFactory } from '../../pipeline/types.js';
import { msgpackToJson } from '../../json/msgpack.js';
import { readWholeBody, ReplacedBodyExchange } from '../../pipeline/whole-body.js';
import { MsgpackAnswerExchange } from './translating-exchange.js';

/** Matches application/msgpack and the older application/x-msgpack, in Content-Type or Accept. */
const MSGPACK_TYPE = /application\/(x-)?msgpack/i;

/**
 * Route `translate` (on unless `translate: false`): JSON <-> MessagePack for a JSON upstream. A
 * request with Content-Type application/msgpack has its body read whole (limits.maxBodySize,
 * limits.requestTimeout), translated and sent upstream as application/json; invalid MessagePack
 * is a 400 problem. A client whose Accept names application/msgpack gets JSON answers translated
 * (MsgpackAnswerExchange); aggregated answers too, as this stage sits before the terminal ones.
 *
 * Cost for a client that asks for neither: one pass over the request's header list comparing two
 * names, with no allocation and no wrapped exchange; the request goes on to the next stage as is.
 */
export const translateStage: StageFactory = (route, deps, next) => {
  if (!route.translate || next === null) return null;
  const maxBody = deps.config.limits.maxBodySize;
  const deadline = deps.config.limits.requestTimeout;

  const readMsgpack = (ctx: RequestContext, typeAt: number): void => {
    readWholeBody(ctx, maxBody, deadline, (body) => {
      const result = msgpackToJson(body);
      if (!result.ok) {
        replyProblem(ctx.exchange, ctx.requestId, 'TG_BAD_REQUEST', `The request body is not valid MessagePack: ${result.reason}.`);
        return;
      }
      ctx.headers[typeAt + 1] = 'application/json';
      ctx.exchange = new ReplacedBodyExchange(ctx.exchange, result.body);
      next(ctx);
    });
  };

  const handler: Handler = (ctx) => {
    const h = ctx.headers;
    let typeAt = -1;
    let accepts = false;
    for (let i = 0; i < h.length; i += 2) {
      const name = h[i];
      if (name === 'content-type') {
        if (MSGPACK_TYPE.test(h[i + 1]!)) typeAt = i;
      } else if (name === 'accept') {
        if (MSGPACK_TYPE.test(h[i + 1]!)) accepts = true;
      }
    }
    if (typeAt < 0 && !accepts) {
      next(ctx);
      return;
    }
    if (accepts) ctx.exchange = new MsgpackAnswerExchange(ctx.exchange, ctx.requestId);
    if (typeAt >= 0 && ctx.exchange.hasBody) readMsgpack(ctx, typeAt);
    else next(ctx);
  };
  return handler;
};

