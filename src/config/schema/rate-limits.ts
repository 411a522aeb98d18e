// Rate limits: a route's `rateLimit`, the `plans` consumers subscribe to, and the shared table's size.
// How a `by: consumer` limit relates to the route's auth is checked in checks/rate-limits.ts.
import { z } from 'zod';
import { MAX_CAPACITY } from '../../shm/rate-limit-layout.js';
import { isHeaderToken } from './headers.js';
import { duration, name, orNull } from './scalars.js';

const limit = z.number().int().min(1).max(1_000_000_000).meta({ description: 'Requests allowed in a burst, refilled at this many per window' });
const window = duration({ min: 1 }).meta({ description: 'Time in which `limit` requests are refilled' });

/** `consumer`, `ip` or `header:NAME` (NAME lowercased). */
export const rateLimitBy = z
  .string()
  .refine((value) => value === 'consumer' || value === 'ip' || (value.startsWith('header:') && isHeaderToken(value.slice(7))), {
    error: (issue) => `invalid "by" ${JSON.stringify(issue.input)}: use consumer, ip or header:NAME (a header name such as header:x-tenant)`,
  })
  .transform((value) => (value.startsWith('header:') ? 'header:' + value.slice(7).toLowerCase() : value))
  .meta({ pattern: '^(consumer|ip|header:[!#$%&\'*+.^_`|~0-9A-Za-z-]+)$' });

export const routeRateLimitSchema = z
  .strictObject({
    limit,
    window,
    by: rateLimitBy.default('ip').meta({
      description: 'What gets its own budget: the client address (ip, before authentication), the authenticated consumer (consumer, needs the route\'s auth), or a request header\'s value (header:NAME; requests without it share one budget)',
    }),
  })
  .meta({ description: 'Requests allowed per window, held exactly across workers (429 beyond it)' });

const planSchema = z.strictObject({
  rateLimit: orNull(
    z.strictObject({ limit, window }).meta({ description: "Per consumer on this plan, across every route; applies together with a route's own rateLimit" }),
  ),
  quota: orNull(
    z.strictObject({
      limit: z.number().int().min(1).max(1_000_000_000).meta({ description: 'Requests a consumer on this plan may make in a period, across every route with auth' }),
      period: z.enum(['day', 'month']).meta({ description: 'The UTC calendar day or month; the count starts again at 0 when the next one begins' }),
    }).meta({ description: 'Requests per consumer per UTC day or month, counted across workers and kept across restarts (in dataDir/usage); 429 with Retry-After until the period ends beyond it' }),
  ),
});

export const plansSchema = z
  .record(name('plan name'), planSchema)
  .prefault({})
  .meta({ description: 'Named plans that consumers subscribe to (consumers.NAME.plan)' });

export const rateLimitsSchema = z
  .strictObject({
    capacity: z.number().int().min(1).max(MAX_CAPACITY).default(100_000).meta({
      description: 'Slots in the shared-memory limiter table, one per live key (route limit and client, header value or consumer); changing it needs a restart',
    }),
  })
  .prefault({})
  .meta({ description: 'The shared-memory limiter table' });
