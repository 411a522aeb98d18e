import type { RequestContext } from '../../pipeline/context.js';
import { HeldBodyExchange } from '../../pipeline/held-body.js';
import type { Handler, StageDeps, StageFactory } from '../../pipeline/types.js';
import { ReplacedBodyExchange, readWholeBody } from '../../pipeline/whole-body.js';
import type { PluginInstance } from '../../plugins/load.js';
import type { RouteConfig } from '../../config/types.js';
import { toAnswer, writeAnswer } from './answer.js';
import { awaitHook, callHook, isThenable, pluginFailed, type HookSite } from './hook-call.js';
import { paramNames, RequestView } from './request-view.js';
import { PluginResponseExchange, type ResponsePlan } from './response-exchange.js';

function pluginsOf(route: RouteConfig, names: readonly string[], deps: StageDeps): PluginInstance[] {
  return names.map((name) => {
    const plugin = deps.plugins.get(name);
    if (plugin === undefined) throw new Error(`route ${route.id}: plugin "${name}" is not loaded`);
    return plugin;
  });
}

/**
 * Reads the whole request body for plugins that asked for it (hooks.requestBody), within the
 * smallest of their maxBodySize and limits.maxBodySize, then calls `go`; without a body, at once.
 */
function bodyReader(plugins: readonly PluginInstance[], deps: StageDeps): ((ctx: RequestContext, req: RequestView, go: () => void) => void) | null {
  const readers = plugins.filter((p) => p.hooks.requestBody === true);
  if (readers.length === 0) return null;
  const limit = Math.min(deps.config.limits.maxBodySize, ...readers.map((p) => p.maxBodySize));
  const deadline = deps.config.limits.requestTimeout;
  return (ctx, req, go) => {
    if (!ctx.exchange.hasBody) {
      req.takeBody(Buffer.alloc(0));
      go();
      return;
    }
    readWholeBody(ctx, limit, deadline, (body) => {
      req.takeBody(body);
      go();
    });
  };
}

/**
 * Route `plugins`: the listed plugins' onRequest hooks in order, then the rest of the chain with
 * the answer passing their onResponse hooks in reverse. A hook's early answer ends the request
 * there (no later hook runs, no onResponse). Out of the chain when the route lists no plugin.
 *
 * Cost of a plugin whose onRequest returns nothing synchronously: one RequestView (strings only;
 * headers are copied when read), the call, and three string comparisons to see what it changed.
 */
export const pluginStage: StageFactory = (route, deps, next) => {
  if (route.plugins.length === 0 || next === null) return null;
  const plugins = pluginsOf(route, route.plugins, deps);
  const onRequest = plugins.filter((p) => p.hooks.onRequest !== undefined);
  const onResponse = plugins.filter((p) => p.hooks.onResponse !== undefined).reverse();
  const jsonHolders = onResponse.filter((p) => p.hooks.responseJson === true);
  const plan: ResponsePlan = { plugins: onResponse, jsonLimit: jsonHolders.length === 0 ? 0 : Math.min(...jsonHolders.map((p) => p.maxBodySize)), log: deps.log };
  const readBody = bodyReader(plugins, deps);
  const names = paramNames(route.match.path);
  const log = deps.log;
  const routeId = route.id;

  const proceed = (ctx: RequestContext, req: RequestView): void => {
    if (readBody !== null && ctx.exchange.hasBody) ctx.exchange = new ReplacedBodyExchange(ctx.exchange, req.changedBody() ?? (req.body as Buffer));
    if (onResponse.length > 0) ctx.exchange = new PluginResponseExchange(ctx.exchange, plan, req, ctx.requestId, routeId);
    next(ctx);
  };

  // The upload is unread when no plugin read it: an answer here closes the connection after it.
  const unread = (ctx: RequestContext): boolean => readBody === null && ctx.exchange.hasBody;
  const failed = (ctx: RequestContext, plugin: PluginInstance, err: unknown): void => {
    pluginFailed(ctx.exchange, { plugin, hook: 'onRequest', requestId: ctx.requestId, route: routeId }, err, log, unread(ctx));
  };

  /** Takes what a hook returned: an answer ends the request, else its changes apply. False: the request ended. */
  const settle = (ctx: RequestContext, req: RequestView, plugin: PluginInstance, result: unknown): boolean => {
    if (result !== undefined) {
      const answer = toAnswer(result);
      if (typeof answer === 'string') failed(ctx, plugin, new Error(`onRequest ${answer}`));
      else writeAnswer(ctx.exchange, ctx.method, answer, unread(ctx));
      return false;
    }
    const wrong = req.applyTo(ctx);
    if (wrong === null) return true;
    failed(ctx, plugin, new Error(`onRequest set an ${wrong}`));
    return false;
  };

  /**
   * The onRequest hooks from the i-th on. Hooks that return synchronously run in this loop with
   * no allocation of their own; one that returns a promise pauses the upload (HeldBodyExchange,
   * so that no body byte is lost while it runs) and the loop goes on when it settles.
   */
  const run = (ctx: RequestContext, req: RequestView, from: number): void => {
    for (let i = from; i < onRequest.length; i++) {
      const plugin = onRequest[i]!;
      let result: unknown;
      try {
        result = plugin.hooks.onRequest!(req);
      } catch (err) {
        failed(ctx, plugin, err);
        return;
      }
      if (isThenable(result)) {
        if (unread(ctx) && !(ctx.exchange instanceof HeldBodyExchange)) ctx.exchange = new HeldBodyExchange(ctx.exchange);
        const site: HookSite = { plugin, hook: 'onRequest', requestId: ctx.requestId, route: routeId };
        awaitHook(ctx.exchange, site, result, (value) => {
          if (!ctx.exchange.finished && settle(ctx, req, plugin, value)) run(ctx, req, i + 1);
        }, (err) => failed(ctx, plugin, err));
        return;
      }
      if (!settle(ctx, req, plugin, result)) return;
    }
    proceed(ctx, req);
  };

  const handler: Handler = (ctx) => {
    const req = new RequestView(ctx, names);
    if (readBody === null) run(ctx, req, 0);
    else readBody(ctx, req, () => run(ctx, req, 0));
  };
  return handler;
};

/**
 * Terminal stage of a function route (`respond: { plugin: NAME }`): the plugin's handle hook
 * makes the whole answer, within the plugin's time limit; the route's `plugins` run before it.
 */
export const functionRouteStage: StageFactory = (route, deps) => {
  const name = route.respond?.plugin;
  if (name === undefined) return null;
  const [plugin] = pluginsOf(route, [name], deps);
  const handle = plugin!.hooks.handle;
  if (handle === undefined) throw new Error(`route ${route.id}: plugin "${name}" has no handle hook`);
  const readBody = bodyReader([plugin!], deps);
  const names = paramNames(route.match.path);
  const log = deps.log;

  const answer = (ctx: RequestContext, req: RequestView): void => {
    const site: HookSite = { plugin: plugin!, hook: 'handle', requestId: ctx.requestId, route: route.id };
    const unread = readBody === null && ctx.exchange.hasBody;
    const failed = (err: unknown): void => pluginFailed(ctx.exchange, site, err, log, unread);
    callHook(ctx.exchange, site, () => handle.call(plugin!.hooks, req), (result) => {
      if (ctx.exchange.finished) return;
      const checked = toAnswer(result);
      if (typeof checked === 'string') failed(new Error(`handle ${checked}`));
      else writeAnswer(ctx.exchange, ctx.method, checked, unread);
    }, failed);
  };
  return (ctx) => {
    const req = new RequestView(ctx, names);
    if (readBody === null) answer(ctx, req);
    else readBody(ctx, req, () => answer(ctx, req));
  };
};
