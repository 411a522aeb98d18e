// Header names and values in route header operations and fixed responses.
import { z } from 'zod';

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

/** A map of header name to value: names lowercased and checked, framing headers refused. */
export const headerMap = z
  .record(z.string(), headerValue)
  .superRefine((map, ctx) => {
    const seen = new Set<string>();
    for (const rawName of Object.keys(map)) {
      const problem = setHeaderProblem(rawName, seen);
      if (problem) ctx.addIssue({ code: 'custom', message: problem, path: [rawName], params: { at: 'key' } });
      seen.add(rawName.toLowerCase());
    }
  })
  .transform((map) => Object.fromEntries(Object.entries(map).map(([key, value]) => [key.toLowerCase(), value])));

function setHeaderProblem(rawName: string, seen: Set<string>): string | null {
  const lower = rawName.toLowerCase();
  if (!TOKEN.test(rawName)) return `invalid header name ${JSON.stringify(rawName)}`;
  if (HOP_BY_HOP.has(lower)) return `"${lower}" is a hop-by-hop header and cannot be set`;
  if (lower === 'content-length') return '"content-length" is managed by the gateway and cannot be set';
  if (seen.has(lower)) return `header "${lower}" is set twice (names are case-insensitive)`;
  return null;
}

export const headerOps = z.strictObject({
  set: headerMap.prefault({}),
  remove: z
    .array(headerName)
    .prefault([])
    .transform((names) => [...new Set(names)]),
});
