// Route `aggregate` (fan-out calls answered as one JSON object) and top-level `aggregate`
// (where the merging runs). References (upstream names, path params, unique `as`) are checked
// in ../checks/aggregate.ts.
import { z } from 'zod';
import { duration, name, orNull, size } from './scalars.js';

/** A dot path of field names (a.b.c); no empty part, nothing that reaches an object's prototype. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'prototype', 'constructor']);
export const jsonPath = z.string().superRefine((path, ctx) => {
  const parts = path.split('.');
  if (parts.some((p) => p === '')) ctx.addIssue({ code: 'custom', message: `invalid field path ${JSON.stringify(path)}: dot-separated field names, none empty`, input: path });
  else if (parts.some((p) => FORBIDDEN_KEYS.has(p))) ctx.addIssue({ code: 'custom', message: `invalid field path ${JSON.stringify(path)}: "__proto__", "prototype" and "constructor" are not field names here`, input: path });
});

const callPath = z.string().regex(/^\/[\x21-\x7e]*$/, { error: 'expected a path starting with "/" (visible ASCII, :params allowed, an optional ?query)' });

export const aggregateCallSchema = z.strictObject({
  upstream: z.string().min(1).meta({ description: 'Name of an entry in upstreams' }),
  path: callPath.meta({ description: "Path (and query) sent upstream, with the match path's :params, e.g. /orders?user=:id; the client's query is appended" }),
  as: name('as').meta({ description: 'Key of this call\'s answer in the combined object (unique per route)' }),
  optional: z.boolean().default(false).meta({ description: 'A failure leaves this key out (X-Tollgate-Partial: true) instead of failing the request' }),
  timeout: orNull(duration({ min: 1 }).meta({ description: "Time for the whole answer of this call; default: the route's timeout, else the upstream's timeout.response" })),
  select: orNull(z.array(jsonPath).min(1).meta({ description: 'Keep only these fields (dot paths; through a list, of each element)' })),
  rename: orNull(z.record(jsonPath, jsonPath).meta({ description: 'Move fields: { from: to } (dot paths, parents created)' })),
  merge: z.boolean().default(false).meta({ description: 'Put the fields of an object answer at the top level instead of under "as"' }),
  forwardAuth: z.boolean().default(false).meta({ description: "Send the client's Authorization header with this call" }),
});

export type AggregateCallConfig = z.output<typeof aggregateCallSchema>;

export const aggregateCallsSchema = z.array(aggregateCallSchema).min(1, { error: 'aggregate needs at least one call' });

/** Top-level `aggregate`. The default comes from bench/aggregate (bench/README.md has the table). */
export const aggregateSettingsSchema = z
  .strictObject({
    offloadAbove: size().prefault('64kb').meta({ description: 'Combined size of the bodies above which parsing and merging run in the worker pool instead of inline' }),
  })
  .prefault({});
