// Upstream services: their targets, balancing and connection settings.
import { z } from 'zod';
import { duration, name, orNull } from './scalars.js';
import { balance, circuitBreakerSchema, discoverSchema, hashOn, healthCheckSchema, retrySchema } from './resilience.js';

/** Checks a target URL and returns its origin (`http://host:port`), or an error message. */
export function targetOrigin(text: string): { ok: true; origin: string } | { ok: false; message: string } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, message: `invalid URL ${JSON.stringify(text)}` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, message: 'target URL must start with http:// or https://' };
  if (url.username || url.password) return { ok: false, message: 'target URL must not contain credentials' };
  if (url.pathname !== '/' || url.search || url.hash) {
    return { ok: false, message: 'target URL must not have a path, query or fragment (use the route\'s "rewrite" for paths)' };
  }
  return { ok: true, origin: url.origin };
}

// Refinements only, no transform, inside the union: a union reports the one branch that got
// past its type check only when that branch did not abort, and a failing pipe always aborts.
const targetUrl = z.string().superRefine((text, ctx) => {
  const result = targetOrigin(text);
  if (!result.ok) ctx.addIssue({ code: 'custom', message: result.message, input: text, continue: true });
});

const target = z
  .union([targetUrl, z.strictObject({
    url: targetUrl.meta({ description: 'Target origin: http(s)://host:port, no path' }),
    weight: z.number().int().min(1).max(1000).default(1).meta({ description: 'Share of the requests, relative to the other targets' }),
  })], {
    error: 'expected a target URL or { url, weight }',
  })
  .transform((value) => {
    const { url, weight } = typeof value === 'string' ? { url: value, weight: 1 } : value;
    return { url: new URL(url).origin, weight };
  });

const targets = z
  .array(target)
  .min(1, { error: 'an upstream needs at least one target' })
  .superRefine((list, ctx) => {
    // A target that failed its own check (bad scheme, not a URL) reaches here without an origin:
    // it is reported once, at itself, not also as a duplicate of another failed one.
    const origins = list.map((item) => (item as typeof item | undefined)?.url);
    origins.forEach((url, index) => {
      if (url !== undefined && origins.indexOf(url) !== index) {
        ctx.addIssue({ code: 'custom', message: `target ${url} is listed twice (use "weight" instead)`, path: [index], input: url });
      }
    });
  });

export const upstreamSchema = z.strictObject({
  targets: targets.optional().default([]).meta({ description: 'Where requests go: origins (http://10.0.0.5:8080), or { url, weight }; each listed once. An upstream has targets or discover' }),
  discover: orNull(discoverSchema.meta({ description: 'Targets found by DNS instead of listed, re-resolved every interval without a reload; a failed or empty lookup keeps the last good set' })),
  balance: balance.default('round-robin').meta({ description: 'How targets are picked: round-robin (by weight), least-requests (fewest in flight across the workers, relative to weight), consistent-hash (by hashOn)' }),
  hashOn: orNull(hashOn.meta({ description: 'consistent-hash key: ip, consumer, or header:NAME; a request without it (no consumer, no such header) is hashed by its ip. Default: ip' })),
  connections: z.number().int().min(1).max(10_000).default(64).meta({ description: 'Keep-alive sockets per target per worker' }),
  timeout: z
    .strictObject({
      connect: duration({ min: 1 }).prefault('2s').meta({ description: 'Time to open a connection to a target' }),
      response: duration({ min: 1 }).prefault('10s').meta({ description: "Time for the answer's head to arrive, counted from the request's last byte sent, plus any wait for a free connection (a route's `timeout` replaces it)" }),
      idle: duration({ min: 1 }).prefault('60s').meta({ description: "Once the answer's head came, the longest wait for the next piece of its body (a streamed answer such as server-sent events may last any time as long as it does not stall this long); the client being slow to read does not count" }),
    })
    .prefault({})
    .meta({ description: 'Timeouts of calls to this upstream' }),
  retry: orNull(retrySchema.meta({ description: 'Retries of idempotent requests (GET, HEAD, OPTIONS, PUT, DELETE, TRACE) whose body can be sent again, to another target when there is one, never once the answer has begun' })),
  healthCheck: orNull(healthCheckSchema.meta({ description: 'Active checks of every target (once per node) and passive detection from real traffic; a target that is down gets no requests' })),
  circuitBreaker: orNull(circuitBreakerSchema.meta({ description: 'Per target: too many failures over the window open its circuit, and it gets no requests until a probe succeeds' })),
});

export const upstreamsSchema = z.record(name('upstream name'), upstreamSchema).prefault({}).meta({ description: 'Named upstream services' });
