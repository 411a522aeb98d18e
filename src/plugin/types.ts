// The types a plugin sees (published as tollgate/plugin's declarations). Every value here is a
// copy made for the plugin: no uWebSockets.js object, no gateway internals.
import type { z } from 'zod';

/** Request or response headers; names are case-insensitive (kept lowercase). */
export interface PluginHeaders {
  /** The first value, or undefined. */
  get(name: string): string | undefined;
  getAll(name: string): string[];
  has(name: string): boolean;
  /** Replaces every value of `name`. Throws a TypeError on a name or value HTTP does not allow. */
  set(name: string, value: string): void;
  append(name: string, value: string): void;
  delete(name: string): void;
  /** [name, value] pairs in order, a name repeated for each of its values. */
  entries(): [string, string][];
}

/** The request as a plugin sees it; changes to method, path, query, headers and body are sent on. */
export interface PluginRequest {
  /** The request id (X-Request-Id), also in the gateway's logs. */
  readonly id: string;
  /** The id of the route that matched. */
  readonly route: string;
  method: string;
  /**
   * The normalised path. A change is the path sent upstream on a route without `rewrite` (with
   * one, the rewrite template builds the upstream path from the route's parameters).
   */
  path: string;
  /** The query string without '?' ('' when none). */
  query: string;
  readonly headers: PluginHeaders;
  /** The route's path parameters by name (`*` for a trailing wildcard). */
  readonly params: Readonly<Record<string, string>>;
  /** Who made the request (set by the route's auth), or null. */
  readonly consumer: string | null;
  readonly remoteAddress: string;
  /**
   * The whole request body when one of the route's plugins asked for it (hooks.requestBody),
   * else null. Assigning a string or bytes replaces the body sent on.
   */
  body: Uint8Array | string | null;
  /** Values shared by the hooks of this request (every plugin of the route sees the same object). */
  readonly locals: Record<string, unknown>;
  /** Adds fields to this request's access-log line (under `plugin`). */
  log(fields: Record<string, unknown>): void;
}

/** The answer on its way to the client, as onResponse sees it. */
export interface PluginResponse {
  status: number;
  readonly headers: PluginHeaders;
  /**
   * The parsed JSON body when a plugin of the route asked for it (hooks.responseJson), the answer
   * is application/json and at most the plugin's maxBodySize; else undefined. Assigning a value
   * replaces the body (serialised again, Content-Length fixed up).
   */
  json: unknown;
  /** The request this answers (after the request hooks' changes). */
  readonly request: PluginRequest;
}

/** An answer a plugin gives itself: from onRequest (early answer) or handle (function route). */
export interface PluginAnswer {
  /** 200..599. */
  status: number;
  headers?: Record<string, string>;
  /** A JSON body (content-type application/json unless headers say otherwise). */
  json?: unknown;
  /** A text or binary body, instead of json. */
  body?: string | Uint8Array;
}

type Awaitable<T> = T | Promise<T>;

/** What setup returns. Every hook may be async; each call has the plugin's time limit. */
export interface PluginHooks {
  /** Before the request goes on (after auth and rate limits): change it, or return an answer to end it here. */
  onRequest?(req: PluginRequest): Awaitable<PluginAnswer | undefined | void>;
  /** Before the answer goes to the client: change its status and headers (and JSON body, see responseJson). */
  onResponse?(res: PluginResponse): Awaitable<void>;
  /** Answers a function route (`respond: { plugin: NAME }`). */
  handle?(req: PluginRequest): Awaitable<PluginAnswer>;
  /** Read the whole request body (up to maxBodySize) before onRequest/handle: req.body. */
  requestBody?: boolean;
  /** Hold JSON answers (up to maxBodySize) so that onResponse can read and change res.json. */
  responseJson?: boolean;
  /** Called once this set of hooks is no longer used (a reload replaced it, or the worker stops). */
  close?(): Awaitable<void>;
}

export interface PluginLogger {
  debug(fields: Record<string, unknown>, message?: string): void;
  info(fields: Record<string, unknown>, message?: string): void;
  warn(fields: Record<string, unknown>, message?: string): void;
  error(fields: Record<string, unknown>, message?: string): void;
}

/** The second argument of setup. */
export interface PluginSetupContext {
  /** The plugin's name in the config (`plugins: { NAME: ... }`). */
  name: string;
  /** The gateway's logger, with the plugin's name on every line. */
  log: PluginLogger;
}

/** The default export of a plugin module: made by definePlugin, never by hand. */
export interface PluginDefinition<O = unknown> {
  readonly kind: 'tollgate-plugin';
  readonly name: string;
  readonly options: z.ZodType<O>;
  readonly setup: (options: O, ctx: PluginSetupContext) => Awaitable<PluginHooks>;
}
