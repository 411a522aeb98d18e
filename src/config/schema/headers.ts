// Header names and values in route header operations and fixed responses.
import { z } from 'zod';
import { isValidHost } from '../../http/request-checks.js';

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Visible ASCII, space, tab and obs-text: no CR, LF or NUL that could split a header.
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

// RFC 9110 §7.6.1 connection-specific fields; they describe one hop and must not be set.
const HOP_BY_HOP = new Set(['connection', 'proxy-connection', 'keep-alive', 'te', 'transfer-encoding', 'trailer', 'upgrade']);

export function isHeaderToken(value: string): boolean {
  return TOKEN.test(value);
}

export const headerName = z
  .string()
  .regex(TOKEN, { error: (issue) => `invalid header name ${JSON.stringify(issue.input)}` })
  .transform((value) => value.toLowerCase());

const headerValue = z
  .union([z.string(), z.number()], { error: 'expected a header value (a string)' })
  .transform((value) => String(value))
  .refine((value) => HEADER_VALUE.test(value), { error: 'header value must not contain control characters such as CR or LF' });

/** Which way a header map goes: what the gateway writes itself differs per direction. */
export type HeaderDirection = 'request' | 'response';

// Written by the gateway itself in answers (uWS writes Date; every answer carries the request id):
// a configured copy would be a second one, not a replacement.
const GATEWAY_RESPONSE = new Set(['date', 'x-request-id']);

/** A map of header name to value: names lowercased and checked, headers that cannot be set refused. */
export function headerMap(direction: HeaderDirection) {
  return z
    .record(z.string(), headerValue)
    .superRefine((map, ctx) => {
      const seen = new Set<string>();
      for (const [rawName, value] of Object.entries(map)) {
        const problem = setHeaderProblem(rawName, value, direction, seen);
        if (problem) ctx.addIssue({ code: 'custom', message: problem, path: [rawName], params: { at: 'key' } });
        seen.add(rawName.toLowerCase());
      }
    })
    .transform((map) => Object.fromEntries(Object.entries(map).map(([key, value]) => [key.toLowerCase(), value])));
}

function setHeaderProblem(rawName: string, value: string, direction: HeaderDirection, seen: Set<string>): string | null {
  const lower = rawName.toLowerCase();
  if (!TOKEN.test(rawName)) return `invalid header name ${JSON.stringify(rawName)}`;
  if (HOP_BY_HOP.has(lower)) return `"${lower}" is a hop-by-hop header and cannot be set`;
  if (lower === 'content-length') return '"content-length" is managed by the gateway and cannot be set';
  if (direction === 'request' && lower === 'expect') return '"expect" is answered by the gateway and cannot be set';
  if (direction === 'request' && lower === 'host' && (value === '' || !isValidHost(value))) {
    return `"host" must be a host name or address with an optional port, got ${JSON.stringify(value)}`;
  }
  if (direction === 'response' && GATEWAY_RESPONSE.has(lower)) return `"${lower}" is written by the gateway in every answer and cannot be set`;
  if (seen.has(lower)) return `header "${lower}" is set twice (names are case-insensitive)`;
  return null;
}

export function headerOps(direction: HeaderDirection) {
  return z.strictObject({
    set: headerMap(direction).prefault({}).meta({ description: 'Headers to set, replacing any of the same name' }),
    remove: z
      .array(headerName)
      .prefault([])
      .transform((names) => [...new Set(names)])
      .meta({ description: 'Header names to remove' }),
  });
}
