import pino from 'pino';
import { ACCESS_FIELDS, type AccessField } from './access-fields.js';

export { ACCESS_FIELDS, type AccessField };

/** What the access log reads of one request; src/http/uws-exchange.ts provides it. */
export interface AccessExchange {
  readonly method: string;
  /** The normalised path once normalised, else the target as sent. */
  readonly path: string;
  /** The request target's path as the client sent it (before normalising). */
  readonly rawPath: string;
  /** The query string without '?', '' when none. */
  readonly query: string;
  /** Request headers as received, lowercase names: [name0, value0, ...]. */
  readonly headers: readonly string[];
  readonly remoteAddress: string;
  readonly requestId: string;
  readonly bytesRead: number;
  readonly bytesWritten: number;
}

/** What the access log reads of a routed request; the pipeline's RequestContext provides it. */
export interface AccessContext {
  readonly route: { readonly id: string };
  readonly traceparent: string;
  /** Upstream target origin, '' when no upstream call was made. */
  readonly upstreamTarget: string;
  /** Status of the upstream's answer, 0 when none came. */
  readonly upstreamStatus: number;
  /** Milliseconds from handing the request to the upstream pool to its answer's head (or failure), -1 when no call. */
  readonly upstreamMs: number;
  /** Set by the auth stage; null on public routes and refused requests. */
  readonly consumer: string | null;
  /** The query as forwarded: the auth stage removes an API key parameter from it. */
  readonly query: string;
  /** Fields the route's plugins added (req.log), written under `plugin`; null when none. */
  readonly pluginFields: Readonly<Record<string, unknown>> | null;
}

export interface AccessLogConfig {
  access: boolean;
  sampling: number;
  accessFields: readonly AccessField[];
}

export type AccessLog = (ex: AccessExchange, ctx: AccessContext | null, status: number, durationMs: number) => void;

type Field = (ex: AccessExchange, ctx: AccessContext | null, status: number, durationMs: number) => unknown;

const round3 = (ms: number): number => Math.round(ms * 1000) / 1000;

function header(headers: readonly string[], name: string): string | null {
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === name) return headers[i + 1]!;
  return null;
}

/** How each field is read; `time` is the line's own timestamp, written by the logger. */
const FIELDS: Record<Exclude<AccessField, 'time'>, Field> = {
  route: (_ex, ctx) => (ctx === null ? null : ctx.route.id),
  method: (ex) => ex.method,
  path: (ex) => ex.path,
  rawPath: (ex) => ex.rawPath,
  // Once routed, the query as forwarded: an API key sent as a parameter is never logged.
  query: (ex, ctx) => {
    const q = ctx === null ? ex.query : ctx.query;
    return q === '' ? null : q;
  },
  host: (ex) => header(ex.headers, 'host'),
  status: (_ex, _ctx, status) => status,
  durationMs: (_ex, _ctx, _status, durationMs) => round3(durationMs),
  upstream: (_ex, ctx) => (ctx === null || ctx.upstreamTarget === '' ? null : ctx.upstreamTarget),
  upstreamStatus: (_ex, ctx) => (ctx === null || ctx.upstreamStatus === 0 ? null : ctx.upstreamStatus),
  upstreamMs: (_ex, ctx) => (ctx === null || ctx.upstreamMs < 0 ? null : round3(ctx.upstreamMs)),
  bytesIn: (ex) => ex.bytesRead,
  bytesOut: (ex) => ex.bytesWritten,
  remoteAddress: (ex) => ex.remoteAddress,
  userAgent: (ex) => header(ex.headers, 'user-agent'),
  forwardedFor: (ex) => header(ex.headers, 'x-forwarded-for'),
  referer: (ex) => header(ex.headers, 'referer'),
  consumer: (_ex, ctx) => (ctx === null ? null : ctx.consumer),
  requestId: (ex) => ex.requestId,
  traceparent: (_ex, ctx) => (ctx === null ? null : ctx.traceparent),
};

/**
 * Writes one access line per request with the configured fields, in their configured order; the
 * readers are picked once per config, so a request costs only the fields asked for.
 * `sampling` < 1 thins successful requests, never errors. `log.access` alone decides whether
 * access lines are written: `log.level: warn` quiets the gateway's own chatter, not the access
 * log an operator asked for.
 */
export function createAccessLog(logger: pino.Logger, cfg: AccessLogConfig): AccessLog {
  if (!cfg.access) return () => {};
  const access = logger.child({}, { level: 'info' });
  // pino writes the timestamp of every line from the logger's time function; a child inherits it
  // through its prototype, so this drops it from access lines alone.
  if (!cfg.accessFields.includes('time')) (access as unknown as Record<symbol, unknown>)[pino.symbols.timeSym] = pino.stdTimeFunctions.nullTime;
  const names = cfg.accessFields.filter((f): f is Exclude<AccessField, 'time'> => f !== 'time');
  const readers = names.map((name) => FIELDS[name]);
  const count = names.length;
  const sampling = cfg.sampling;
  return (ex, ctx, status, durationMs) => {
    if (status < 400 && sampling < 1 && Math.random() >= sampling) return;
    const line: Record<string, unknown> = {};
    for (let i = 0; i < count; i++) line[names[i]!] = readers[i]!(ex, ctx, status, durationMs);
    if (ctx !== null && ctx.pluginFields !== null) line['plugin'] = ctx.pluginFields;
    access.info(line, 'request');
  };
}
