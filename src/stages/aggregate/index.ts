import { performance } from 'node:perf_hooks';
import type { AggregateCallConfig } from '../../config/schema/aggregate.js';
import type { RequestContext } from '../../pipeline/context.js';
import { requestHeader } from '../../pipeline/forwarding-exchange.js';
import { guarded } from '../../pipeline/guard.js';
import { replyProblem } from '../../pipeline/problem-reply.js';
import type { Handler, StageFactory } from '../../pipeline/types.js';
import { compileCallPath, type CallPathBuilder } from './call-path.js';
import { composeBodies, type CallBody, type CallShape } from './compose.js';
import { composeInPool, type ComposeTaskResult } from './merge-pool.js';
import { FanOutCall, type CallOutcome } from './fan-out-call.js';
import { ClientGoneError } from '../proxy/upstream-call.js';
import type { Upstream } from '../../upstream/registry.js';
import type { Target } from '../../upstream/target.js';
import { unavailable } from '../proxy/resilient-call.js';
import type { UpstreamFailure } from '../proxy/upstream-errors.js';
import { sharedTime } from '../../shm/shared-clock.js';
import type { UpstreamMeter } from '../../observability/request-meters.js';

/**
 * A target for one call: the plain round-robin pick, or the upstream's picker (balancing mode,
 * health, open circuits) keyed by the consumer or the client address for consistent-hash. Aggregate
 * calls do not report their outcomes to the breaker or retry: those are the proxy stage's.
 */
function pickTarget(upstream: Upstream, ctx: RequestContext): Target | null {
  if (upstream.plainPick !== null) return upstream.plainPick();
  return upstream.picker.pick(ctx.consumer ?? ctx.remoteAddress, null, sharedTime(ctx.startTime));
}

/** Largest body one call may answer with: it is held whole to be merged. */
const MAX_CALL_BODY = 32 * 1024 * 1024;

interface CompiledCall {
  upstream: Upstream;
  meter: UpstreamMeter;
  path: CallPathBuilder;
  timeout: number;
  optional: boolean;
  forwardAuth: boolean;
}


/**
 * Route `aggregate`, a terminal stage: the calls go out in parallel through the upstreams' pools,
 * each with the consumer's context (X-Consumer-Id, the request id, traceparent, X-Forwarded-*;
 * Authorization only with forwardAuth), and their JSON answers become one object keyed by each
 * call's `as`. A failed optional call is left out (X-Tollgate-Partial: true); a failed required
 * one answers 502 (504 for a timeout) at once and cancels the calls still running.
 */
export const aggregateStage: StageFactory = (route, deps) => {
  const calls = route.aggregate;
  if (calls === null) return null;
  const compiled: CompiledCall[] = calls.map((c: AggregateCallConfig) => {
    const upstream = deps.upstreams.get(c.upstream);
    return {
      upstream,
      meter: deps.meters.upstream(c.upstream),
      path: compileCallPath(route.match.path, c.path),
      timeout: c.timeout ?? route.timeout ?? upstream.config.timeout.response,
      optional: c.optional,
      forwardAuth: c.forwardAuth,
    };
  });
  const shapes: CallShape[] = calls.map((c) => ({ as: c.as, select: c.select, rename: c.rename, merge: c.merge, optional: c.optional }));
  const offloadAbove = deps.config.aggregate.offloadAbove;
  const responseSet = Object.entries(route.headers.response.set).flat();
  const okHeaders = ['content-type', 'application/json', ...responseSet];
  const partialHeaders = [...okHeaders, 'x-tollgate-partial', 'true'];
  const log = deps.log;

  const contextHeaders = (ctx: RequestContext, auth: boolean): string[] => {
    const out = [
      'accept', 'application/json',
      'x-forwarded-for', ctx.remoteAddress,
      'x-forwarded-proto', ctx.scheme,
      'x-forwarded-host', ctx.rawHost,
      'x-request-id', ctx.requestId,
      'traceparent', ctx.traceparent,
    ];
    if (ctx.consumer !== null) out.push('x-consumer-id', ctx.consumer);
    if (auth) {
      const authorization = requestHeader(ctx.headers, 'authorization');
      if (authorization !== null) out.push('authorization', authorization);
    }
    return out;
  };

  // A request body is not read (the calls are GETs): the connection closes after the answer.
  const handler: Handler = (ctx) => {
    const ex = ctx.exchange;
    const bodies: CallBody[] = new Array<CallBody>(compiled.length).fill(null);
    const running: FanOutCall[] = [];
    let pending = compiled.length;
    let partial = false;
    let size = 0;
    let over = false;
    const startedAt = performance.now();

    const finish = guarded(ex, 'aggregate merge', (result: ComposeTaskResult) => {
      if (ex.finished) return;
      if (!(result instanceof Uint8Array)) {
        if (!result.ok) {
          const failed = compiled[result.call]!;
          log.warn({ route: ctx.route.id, upstream: failed.upstream.name, requestId: ctx.requestId, kind: 'protocol' }, 'aggregate call answered with a body that is not JSON');
          replyProblem(ex, ctx.requestId, 'TG_UPSTREAM_FAILED', 'An upstream of this aggregate answered with a body that is not JSON.', null, ex.hasBody);
          return;
        }
        if (result.partial) partial = true;
      }
      const headers = partial ? partialHeaders : okHeaders;
      const body = result instanceof Uint8Array ? Buffer.from(result.buffer, result.byteOffset, result.byteLength) : result.json;
      if (ctx.method === 'HEAD') ex.replyNoBody(200, headers, Buffer.byteLength(body));
      else ex.reply(200, headers, body, ex.hasBody);
    });

    const merge = (): void => {
      if (size <= offloadAbove) {
        finish(composeBodies(bodies, shapes));
        return;
      }
      composeInPool(bodies, shapes).then(finish, (err: unknown) => ex.fail(err, 'aggregate merge in the pool'));
    };

    const settle = (i: number, outcome: CallOutcome): void => {
      if (over) return;
      pending--;
      if (outcome.ok) {
        bodies[i] = outcome.body;
        size += outcome.body.length;
      } else {
        const call = compiled[i]!;
        log.warn({ route: ctx.route.id, upstream: call.upstream.name, requestId: ctx.requestId, kind: outcome.failure.kind }, 'aggregate call failed');
        if (call.optional) partial = true;
        else {
          over = true;
          for (const other of running) other.cancel(new Error('another aggregate call failed'));
          ctx.upstreamMs = performance.now() - startedAt;
          replyProblem(ex, ctx.requestId, outcome.failure.code, outcome.failure.detail, null, ex.hasBody);
          return;
        }
      }
      if (pending > 0) return;
      over = true;
      ctx.upstreamMs = performance.now() - startedAt;
      ctx.upstreamStatus = 200;
      merge();
    };

    ex.onAbort(() => {
      over = true;
      for (const call of running) call.cancel(new ClientGoneError());
    });
    // A call whose upstream has no target to take it now (all down, or every circuit open)
    // fails as unavailable without a connection, like a proxied request would.
    const refused: (UpstreamFailure | null)[] = [];
    compiled.forEach((call, i) => {
      const target = pickTarget(call.upstream, ctx);
      refused.push(target === null ? unavailable(call.upstream) : null);
      if (target === null) return;
      if (ctx.upstreamTarget === '') ctx.upstreamTarget = target.origin;
      const fanOut = new FanOutCall(target, call.meter, MAX_CALL_BODY, guarded(ex, 'aggregate call', (outcome: CallOutcome) => settle(i, outcome)));
      running.push(fanOut);
    });
    // Started after all are built: a call failing at dispatch cancels the others, all of them.
    let next = 0;
    compiled.forEach((call, i) => {
      if (over) return;
      const failure = refused[i]!;
      if (failure !== null) {
        settle(i, { ok: false, failure });
        return;
      }
      running[next++]!.start(call.path(ctx.params, ctx.hasQuery ? ctx.query : ''), contextHeaders(ctx, call.forwardAuth), null, call.timeout);
    });
  };
  return handler;
};
