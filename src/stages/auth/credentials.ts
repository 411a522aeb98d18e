// Reading (and removing) the credentials a request carries: `Authorization: Bearer`, the API
// key header and, where configured, the API key query parameter.

/** RFC 6750 §2.1: "Bearer" 1*SP b64token, the scheme in any case. */
const BEARER = /^bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
const BEARER_SCHEME = /^bearer(?: |$)/i;

export interface Credentials {
  /** Authorization headers using the Bearer scheme. */
  bearers: number;
  /** The token of the last one; '' when it is not a well-formed b64token. */
  bearer: string;
  /** API keys sent (header lines plus query parameters). */
  apiKeys: number;
  apiKey: string;
}

export function readCredentials(headers: readonly string[], keyHeader: string | null, query: string, keyParam: string | null): Credentials {
  const c: Credentials = { bearers: 0, bearer: '', apiKeys: 0, apiKey: '' };
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    if (name === 'authorization') {
      const value = headers[i + 1]!;
      if (!BEARER_SCHEME.test(value)) continue;
      c.bearers++;
      c.bearer = BEARER.exec(value)?.[1] ?? '';
    } else if (name === keyHeader) {
      c.apiKeys++;
      c.apiKey = headers[i + 1]!;
    }
  }
  if (keyParam !== null && query !== '') {
    forEachParam(query, keyParam, (value) => {
      c.apiKeys++;
      c.apiKey = value;
    });
  }
  return c;
}

/** Removes, in place, every header line named `name` (the API key header), and bearer Authorization lines when `bearer`. */
export function removeCredentialHeaders(headers: string[], name: string | null, bearer: boolean): void {
  let out = 0;
  for (let i = 0; i < headers.length; i += 2) {
    const n = headers[i]!;
    if (n === name || (bearer && n === 'authorization' && BEARER_SCHEME.test(headers[i + 1]!))) continue;
    headers[out++] = n;
    headers[out++] = headers[i + 1]!;
  }
  headers.length = out;
}

/** Calls `fn` with the decoded value of each `name=value` of the query; '' for a value that does not decode. */
function forEachParam(query: string, name: string, fn: (value: string) => void): void {
  const prefix = name + '=';
  for (const part of query.split('&')) {
    if (part === name) fn('');
    else if (part.startsWith(prefix)) fn(decode(part.slice(prefix.length)));
  }
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return '';
  }
}

/** The query without any `name` parameter, the others as sent. */
export function withoutParam(query: string, name: string): string {
  const prefix = name + '=';
  return query.split('&').filter((part) => part !== name && !part.startsWith(prefix)).join('&');
}
