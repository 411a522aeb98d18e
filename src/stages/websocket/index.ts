import type { StageFactory } from '../../pipeline/types.js';
import type { RequestContext } from '../../pipeline/context.js';
import type { Target } from '../../upstream/target.js';
import { sharedNow, sharedTime } from '../../shm/shared-clock.js';
import { compileRewrite } from '../proxy/rewrite.js';
import { planRequestHeaders, upstreamHeaders } from '../proxy/request-headers.js';
import { compileResilience, unavailable } from '../proxy/resilient-call.js';
import { replyUpstreamFailure } from '../proxy/upstream-errors.js';
import { openSockets } from './metrics.js';
import { WebSocketRelay, type RelaySettings } from './relay.js';

/** Chosen by the gateway for each side of the handshake, never passed through. */
const HANDSHAKE_HEADERS: ReadonlySet<string> = new Set(['sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions', 'sec-websocket-protocol', 'sec-websocket-accept']);

/**
 * Route `websocket`: a request that asks for a WebSocket upgrade, once the stages before this one
 * (CORS, rate limits, auth, quota) let it through, is proxied to a target of the route's upstream
 * picked like any request (balancing, health, circuit); the relay (./relay.ts) does the rest.
 * Every other request of the route goes on to the proxy stage.
 */
export const websocketStage: StageFactory = (route, deps, next) => {
  const limits = route.websocket;
  if (limits === null || route.upstream === null || next === null) return null;
  const upstream = deps.upstreams.get(route.upstream);
  const buildPath = compileRewrite(route.match.path, route.rewrite);
  const requestPlan = planRequestHeaders(route.headers.request, deps.trustedProxies);
  const handshakeTimeout = upstream.config.timeout.connect + (route.timeout ?? upstream.config.timeout.response);
  const r = compileResilience(upstream);
  const base: Omit<RelaySettings, 'record'> = { limits, meter: deps.meters.upstream(route.upstream), open: openSockets(deps.metrics, route.id) };

  const pick = (ctx: RequestContext): Target | null => {
    if (upstream.plainPick !== null) return upstream.plainPick();
    return upstream.picker.pick(r.keyOf(ctx), null, sharedTime(ctx.startTime));
  };

  return (ctx) => {
    const upgrade = ctx.exchange.upgrade;
    if (upgrade === null) {
      next(ctx);
      return;
    }
    const target = pick(ctx);
    if (target === null) {
      replyUpstreamFailure(ctx, unavailable(upstream), true);
      return;
    }
    ctx.upstreamTarget = target.origin;
    // Read right after pick: the target was admitted as its open circuit's one probe.
    const probe = upstream.plainPick === null && upstream.picker.probe;
    const path = buildPath(ctx.path, ctx.params);
    const url = target.origin.replace(/^http/, 'ws') + (ctx.hasQuery ? path + '?' + ctx.query : path);
    const headers: Record<string, string | string[]> = { host: requestPlan.host ?? target.host };
    const list = upstreamHeaders(ctx, requestPlan);
    for (let i = 0; i < list.length; i += 2) {
      const name = list[i]!;
      if (HANDSHAKE_HEADERS.has(name)) continue;
      const value = list[i + 1]!;
      const had = headers[name];
      headers[name] = had === undefined ? value : Array.isArray(had) ? [...had, value] : [had, value];
    }
    const record = r.recordOutcomes ? (ok: boolean) => target.shared.record(ok, probe, sharedNow()) : null;
    new WebSocketRelay(ctx, upgrade, { ...base, record }, url, {
      protocols: upgrade.protocols, headers, maxPayload: limits.maxPayloadLength, handshakeTimeout,
    });
  };
};
