// Upstream resilience and discovery: balancing key, health checks, circuit breaker, retries, DNS
// discovery. Rules that span keys of an upstream (hashOn needs consistent-hash, targets or
// discover) are in ../checks/upstreams.ts.
import { isIP } from 'node:net';
import { z } from 'zod';
import { isHeaderToken } from './headers.js';
import { duration, orNull } from './scalars.js';

const PERCENT = /^(\d{1,3}(\.\d+)?)%$/;

/** A share: "20%" or a number from 0 to 1, parsed to a fraction. */
export function percent(options: { min: number; exclusiveMin?: boolean }) {
  const input = z.union([z.number().meta({ minimum: 0, maximum: 1 }), z.string().meta({ pattern: PERCENT.source })], {
    error: 'expected a percentage like 20% or a fraction from 0 to 1',
  });
  return input.transform((value, ctx): number => {
    let fraction: number;
    if (typeof value === 'number') fraction = value;
    else {
      const match = PERCENT.exec(value);
      fraction = match === null ? NaN : Number(match[1]) / 100;
    }
    const low = options.exclusiveMin === true ? fraction <= options.min : fraction < options.min;
    if (!Number.isFinite(fraction) || low || fraction > 1) {
      const bound = options.exclusiveMin === true ? `above ${options.min * 100}%` : `at least ${options.min * 100}%`;
      ctx.addIssue({ code: 'custom', message: `invalid share ${JSON.stringify(value)}: use a percentage ${bound} and at most 100% (20%), or a fraction from 0 to 1`, input: value });
      return z.NEVER;
    }
    return fraction;
  });
}

export const BALANCE_MODES = ['round-robin', 'least-requests', 'consistent-hash'] as const;

export const balance = z.enum(BALANCE_MODES, {
  error: (issue) => `invalid balance ${JSON.stringify(issue.input)}: expected round-robin, least-requests or consistent-hash`,
});

/** `ip`, `consumer` or `header:NAME`; the header name is lowercased. */
export const hashOn = z.string().transform((value, ctx): string => {
  if (value === 'ip' || value === 'consumer') return value;
  if (value.startsWith('header:') && isHeaderToken(value.slice(7))) return 'header:' + value.slice(7).toLowerCase();
  ctx.addIssue({ code: 'custom', message: `invalid hashOn ${JSON.stringify(value)}: expected ip, consumer or header:NAME (a header name such as header:x-user-id)`, input: value });
  return z.NEVER;
});

// A path the checker sends as is: no query tricks are refused, but nothing that would break the
// request line (whitespace, controls) or leave the origin.
const checkPath = z.string().refine((p) => /^\/[\x21-\x7e]*$/.test(p), {
  error: (issue) => `invalid health check path ${JSON.stringify(issue.input)}: it starts with "/" and has no spaces or control characters`,
});

export const healthCheckSchema = z.strictObject({
  path: checkPath.meta({ pattern: '^/', description: 'Path asked with GET on every target; a 2xx or 3xx answer within timeout is a success' }),
  interval: duration({ min: 100 }).prefault('5s').meta({ description: 'Time between two checks of a target (once per node, by the supervisor)' }),
  timeout: duration({ min: 1 }).prefault('2s').meta({ description: 'Time for a check to get its answer' }),
  unhealthyAfter: z.number().int().min(1).max(100).default(3).meta({ description: 'Failed checks in a row that take a target out' }),
  healthyAfter: z.number().int().min(1).max(100).default(2).meta({ description: 'Successful checks in a row that bring a target back' }),
  passiveFailures: z.number().int().min(0).max(10_000).default(5).meta({
    description: 'Failures in a row in real traffic (connect error, reset, timeout, 5xx answer), counted across workers, that take a target out until the checks bring it back; 0 turns passive detection off',
  }),
});

export const circuitBreakerSchema = z.strictObject({
  errorRate: percent({ min: 0, exclusiveMin: true }).prefault('50%').meta({ description: 'Share of failed calls (connect error, reset, timeout, 5xx answer) over the window that opens the circuit of a target' }),
  minRequests: z.number().int().min(1).max(1_000_000).default(20).meta({ description: 'Calls a target must have had in the window before its error rate counts' }),
  window: duration({ min: 1_000 }).prefault('10s').meta({ description: 'Sliding window the error rate is taken over (counted by every worker together)' }),
  cooldown: duration({ min: 1 }).prefault('30s').meta({ description: 'Time an open circuit answers 503 at once, before one probe call (one per node) may close it' }),
});

const RETRY_CONDITIONS = ['connect', 'reset', 'timeout'] as const;
const STATUS_RANGE = 'a status code to retry on is from 400 to 599';

const retryCondition = z.union([
  z.enum(RETRY_CONDITIONS),
  z.number().int().min(400, { error: STATUS_RANGE }).max(599, { error: STATUS_RANGE }),
], { error: (issue) => `invalid retry condition ${JSON.stringify(issue.input)}: expected connect, reset, timeout or a status code from 400 to 599` });

export const retrySchema = z.strictObject({
  attempts: z.number().int().min(1).max(10).default(2).meta({ description: 'Retries after the first try (2: at most 3 tries)' }),
  on: z.array(retryCondition).min(1).default(['connect', 'reset', 502, 503, 504]).meta({
    description: 'What is retried: connect (no connection), reset (closed before an answer), timeout (no answer within the try\'s time), status codes',
  }),
  budget: percent({ min: 0 }).prefault('20%').meta({ description: 'Retries may add at most this share of the upstream\'s requests over the last 10 s (shared by the workers)' }),
  minRetries: z.number().int().min(0).max(1_000_000).default(3).meta({ description: 'Retries allowed in any 10 s whatever the budget (so a quiet upstream can still retry)' }),
  backoff: duration({ min: 1 }).prefault('25ms').meta({ description: 'Wait before the first retry; doubled for each further one, with jitter (half to all of it)' }),
  tryTimeout: orNull(duration({ min: 1 }).meta({ description: 'Time for one try\'s answer to begin; default: what is left of the route\'s timeout (the timeout covers every try and wait)' })),
});

// DNS names: labels of letters, digits, '-' and '_' (SRV names start with _service._proto).
const DNS_NAME = /^(?=.{1,253}\.?$)([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\.?$/;

/** `host:port` of a DNS server: an IP literal (IPv6 in brackets when a port follows), port 53 when left out. */
export function parseResolver(text: string): { ok: true; server: string } | { ok: false; message: string } {
  const bad = (why: string) => ({ ok: false as const, message: `invalid resolver ${JSON.stringify(text)}: ${why}` });
  let host = text;
  let port = '53';
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return bad('a "[" without "]"');
    host = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) return bad('expected ":port" after "]"');
      port = rest.slice(1);
    }
    if (isIP(host) !== 6) return bad('expected an IPv6 address inside the brackets');
  } else if (isIP(text) === 6) {
    host = text;
  } else {
    const colon = text.lastIndexOf(':');
    if (colon >= 0) {
      host = text.slice(0, colon);
      port = text.slice(colon + 1);
    }
    if (isIP(host) !== 4) return bad('use an IP address and port such as 127.0.0.1:8600 (Node asks DNS servers by address, not by name)');
  }
  if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) return bad('the port must be from 1 to 65535');
  return { ok: true, server: isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}` };
}

const resolver = z.string().transform((text, ctx): string => {
  const parsed = parseResolver(text);
  if (parsed.ok) return parsed.server;
  ctx.addIssue({ code: 'custom', message: parsed.message, input: text });
  return z.NEVER;
});

export const discoverSchema = z.strictObject({
  dns: z.string().refine((name) => DNS_NAME.test(name), {
    error: (issue) => `invalid DNS name ${JSON.stringify(issue.input)}`,
  }).meta({ description: 'Name to resolve: A/AAAA records (with port), or SRV records when it starts with "_" (_http._tcp.orders.service.consul)' }),
  port: orNull(z.number().int().min(1).max(65535).meta({ description: 'Port of the targets found by A/AAAA records (SRV records carry their own)' })),
  scheme: z.enum(['http', 'https']).default('http').meta({ description: 'Scheme of the targets found' }),
  interval: duration({ min: 100 }).prefault('10s').meta({ description: 'Time between lookups; a change applies without a reload' }),
  resolver: orNull(resolver.meta({ description: 'DNS server as IP:port (Consul: 127.0.0.1:8600); default: the system\'s' })),
});
