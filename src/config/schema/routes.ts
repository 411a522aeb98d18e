// Routes: what they match, where they send the request, and how they change it.
import { z } from 'zod';
import { isMatchHost } from '../net-address.js';
import { parseMatchPath, parsePathPattern, type PathPatternResult } from '../path-pattern.js';
import { routeCacheSchema } from './cache.js';
import { routeAuthShape } from './auth.js';
import { aggregateCallsSchema } from './aggregate.js';
import { corsSchema } from './cors.js';
import { websocketSchema } from './websocket.js';
import { headerMap, headerOps, isHeaderToken } from './headers.js';
import { routeRateLimitSchema } from './rate-limits.js';
import { routePluginsSchema } from './plugins.js';
import { transformSchema } from './transform.js';
import { duration, name, orNull } from './scalars.js';

/** match.path and rewrite share the path syntax; how they relate is checked in checks/routes.ts. */
const pathChecked = (parse: (path: string) => PathPatternResult) => z.string().superRefine((path, ctx) => {
  const result = parse(path);
  if (!result.ok) ctx.addIssue({ code: 'custom', message: `invalid path ${JSON.stringify(path)}: ${result.message}`, input: path });
});
/** match.path also passes the route table's check; a rewrite is sent upstream as written (it may carry %2F). */
const matchPath = pathChecked(parseMatchPath);
const pathPattern = pathChecked(parsePathPattern);

const method = z
  .string()
  .refine(isHeaderToken, { error: (issue) => `invalid method ${JSON.stringify(issue.input)}` })
  .transform((value) => value.toUpperCase());

const methods = z
  .array(method)
  .min(1, { error: 'methods must not be empty (leave it out to allow any method)' })
  .transform((list) => [...new Set(list)]);

const host = z
  .string()
  .refine(isMatchHost, {
    error: (issue) =>
      String(issue.input).includes('*')
        ? `invalid host ${JSON.stringify(issue.input)}: wildcard hosts are not supported; give each host name its own route, or leave "host" out to match any host`
        : `invalid host ${JSON.stringify(issue.input)}: use a host name or IP without a port`,
  })
  .transform((value) => value.toLowerCase());

const matchSchema = z.strictObject({
  path: matchPath.meta({ pattern: '^/', description: 'Static segments, :name parameters and a trailing *, e.g. /api/users/:id' }),
  methods: orNull(methods.meta({ description: 'Allowed methods; omit to allow any' })),
  host: orNull(host.meta({ description: 'Host header without its port, compared case-insensitively' })),
});

export const respondSchema = z.strictObject({
  // 1xx are interim answers that a final one must follow; a route answers with a final status.
  status: z.number().int().min(200).max(599).default(200).meta({ description: 'Status of the answer' }),
  json: z.unknown().optional().meta({ description: 'A JSON body (content-type application/json)' }),
  body: z.string().optional().meta({ description: 'A text body (content-type text/plain), instead of json' }),
  headers: headerMap('response').prefault({}).meta({ description: 'Headers of the answer' }),
});

/** Route `respond`: a fixed answer, or `plugin: NAME` for one made by that plugin's handle hook (a function route). */
const routeRespondSchema = respondSchema.extend({
  plugin: z.string().min(1).optional().meta({ description: "A function route: the named plugin's handle hook answers (instead of status, json, body and headers)" }),
});

export const routeSchema = z.strictObject(
  {
    id: name('route id').meta({ description: 'Unique; names the route in logs, metrics (the route label) and the admin snapshot' }),
    match: matchSchema.meta({ description: 'Which requests the route takes' }),
    upstream: orNull(z.string().min(1).meta({ description: 'Name of an entry in upstreams' })),
    rewrite: orNull(pathPattern.meta({ pattern: '^/', description: "Upstream path template using the match path's :params and *" })),
    headers: z
      .strictObject({
        request: headerOps('request').prefault({}).meta({ description: 'Changes to the request sent upstream' }),
        response: headerOps('response').prefault({}).meta({ description: 'Changes to the answer sent to the client' }),
      })
      .prefault({})
      .meta({ description: 'Header changes on the way up and down' }),
    timeout: orNull(duration({ min: 1 }).meta({ description: "Time for the upstream's answer to begin; default: the upstream's timeout.response" })),
    respond: orNull(routeRespondSchema.meta({ description: 'Answer from the gateway itself instead of an upstream' })),
    plugins: routePluginsSchema,
    ...routeAuthShape,
    rateLimit: orNull(routeRateLimitSchema),
    aggregate: orNull(aggregateCallsSchema.meta({ description: 'Calls made in parallel, answered as one JSON object keyed by each call\'s "as" (instead of upstream or respond)' })),
    translate: z.boolean().default(true).meta({ description: 'JSON <-> MessagePack for clients sending or accepting application/msgpack; false turns it off' }),
    websocket: orNull(websocketSchema.meta({
      description: 'Proxy WebSocket upgrades to the upstream (true, or { idleTimeout, maxPayloadLength, maxBackpressure }) once the route\'s auth, rate limits and quota pass; other requests are proxied as usual',
    })),
    cors: orNull(corsSchema.meta({ description: 'Cross-origin access from browsers: preflights answered by the gateway, allow headers on answers' })),
    cache: orNull(routeCacheSchema.meta({ description: 'Keep GET answers in the shared LMDB cache (top-level `cache` bounds it); HEAD is answered from them' })),
    transform: orNull(transformSchema.meta({ description: 'Declarative JSON body changes: request remove/rename/set, response select/remove/rename/wrap (dot paths a.b.c)' })),
    fallback: orNull(respondSchema.meta({
      description: 'Answer given instead when the upstream fails (refused, reset, timeout, invalid answer, no target, 500/502/503/504) and no stale cached entry may be served',
    })),
  },
);

export const routesSchema = z.array(routeSchema).default([]);
