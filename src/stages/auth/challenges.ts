// The WWW-Authenticate challenges of one route (RFC 9110 §11.6.1, RFC 6750 §3), built once.
//
// API keys have no registered scheme; the gateway says `ApiKey header="x-api-key"` (with
// `query="NAME"` when a query parameter is accepted, and error="invalid_key" when the key sent
// is wrong): clients see where a key goes, and the Bearer challenge stays RFC 6750's.

export interface RouteChallenges {
  /** No credential the route accepts: one challenge per method, no error. */
  missing: string[];
  /** The bearer token was refused. */
  badToken: string[];
  /** The API key was refused. */
  badKey: string[];
  /** The token lacks a scope (403). */
  scope: string[];
}

export function routeChallenges(jwt: boolean, apiKey: boolean, keyHeader: string | null, keyParam: string | null, scopes: readonly string[] | null): RouteChallenges {
  const key = `ApiKey header="${keyHeader ?? ''}"` + (keyParam === null ? '' : `, query="${keyParam}"`);
  const line = (value: string): string[] => ['www-authenticate', value];
  const bearer = jwt ? line('Bearer') : [];
  const keyLine = apiKey ? line(key) : [];
  return {
    missing: [...bearer, ...keyLine],
    badToken: [...line('Bearer error="invalid_token"'), ...keyLine],
    badKey: [...bearer, ...line(key + ', error="invalid_key"')],
    scope: line(`Bearer error="insufficient_scope", scope="${(scopes ?? []).join(' ')}"`),
  };
}
