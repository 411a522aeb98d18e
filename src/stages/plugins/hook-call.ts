import type { Exchange } from '../../pipeline/exchange.js';
import { guarded } from '../../pipeline/guard.js';
import { replyProblem } from '../../pipeline/problem-reply.js';
import type { Logger } from '../../observability/logger.js';
import type { PluginInstance } from '../../plugins/load.js';

/** What a failed hook call reports: which plugin and hook, and for which request. */
export interface HookSite {
  plugin: PluginInstance;
  hook: 'onRequest' | 'onResponse' | 'handle';
  requestId: string;
  route: string;
}

export class PluginTimeout extends Error {
  constructor(site: HookSite) {
    super(`${site.hook} did not finish within ${site.plugin.timeout}ms`);
    this.name = 'PluginTimeout';
  }
}

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/**
 * Runs one hook. A hook that returns a plain value continues synchronously (no microtask, no
 * timer: the cost of a no-op hook is the call); one that returns a promise continues when it
 * settles, within the plugin's time limit. A throw, a rejection or the limit ends in `failed`.
 * `done` after an await runs guarded: an exception in the stages it calls fails this request.
 * A time limit cannot stop synchronous code: a hook that loops blocks its worker (README).
 */
export function callHook<T>(ex: Exchange, site: HookSite, run: () => T | PromiseLike<T>, done: (value: T) => void, failed: (err: unknown) => void): void {
  let result: T | PromiseLike<T>;
  try {
    result = run();
  } catch (err) {
    failed(err);
    return;
  }
  if (!isThenable(result)) {
    done(result);
    return;
  }
  awaitHook(ex, site, result, done, failed);
}

/** The asynchronous half of callHook: `done` or `failed` once `result` settles or the time limit passes. */
export function awaitHook<T>(ex: Exchange, site: HookSite, result: PromiseLike<T>, done: (value: T) => void, failed: (err: unknown) => void): void {
  let settled = false;
  const timer = setTimeout(guarded(ex, `plugin ${site.plugin.name} timer`, () => {
    if (settled) return;
    settled = true;
    failed(new PluginTimeout(site));
  }), site.plugin.timeout);
  result.then(guarded(ex, `plugin ${site.plugin.name} ${site.hook}`, (value: T) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    done(value);
  }), guarded(ex, `plugin ${site.plugin.name} ${site.hook}`, (err: unknown) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    failed(err);
  }));
}

/**
 * A hook threw, rejected or ran out of time: one error line with the plugin, the hook and the
 * request id, and a 500 problem (the connection closes when the upload was not read). An answer
 * already begun is cut instead; a client gone gets nothing.
 */
export function pluginFailed(ex: Exchange, site: HookSite, err: unknown, log: Logger, unreadBody: boolean): void {
  log.error({ plugin: site.plugin.name, hook: site.hook, requestId: site.requestId, route: site.route, err }, 'plugin hook failed');
  if (ex.finished) return;
  const what = err instanceof PluginTimeout ? `did not finish within ${site.plugin.timeout}ms` : 'failed';
  replyProblem(ex, site.requestId, 'TG_PLUGIN_FAILED', `The plugin "${site.plugin.name}" ${what}; its error is logged with this request id.`, null, unreadBody);
}
