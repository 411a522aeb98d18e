// The counters the auth stage owns, per worker thread; reported in the SIGUSR2 snapshot.
export const AUTH_COUNTERS = [
  /** Requests on an auth route that carried no credential the route accepts (401). */
  'missing',
  'apiKeyAccepted',
  'apiKeyRefused',
  /** Tokens accepted from the token cache, with no signature check. */
  'jwtCached',
  /** Tokens accepted after a signature check. */
  'jwtVerified',
  'jwtRefused',
  /** Signature checks run on the worker thread, and in the verification pool. */
  'jwtInline',
  'jwtOffloaded',
  /** Requests answered 503 because the verification pool's queue was full. */
  'poolFull',
  /** Requests answered 503 because a provider's keys were not loaded yet. */
  'keysUnavailable',
  /** Requests answered 403 for a missing scope. */
  'insufficientScope',
  /** Unknown-kid refetches this worker asked the supervisor for. */
  'jwksRefetchAsked',
] as const;

export type AuthCounter = (typeof AUTH_COUNTERS)[number];
export type AuthCounters = Record<AuthCounter, number>;

export function newAuthCounters(): AuthCounters {
  return Object.fromEntries(AUTH_COUNTERS.map((c) => [c, 0])) as AuthCounters;
}

/** Returns the counts since the previous call and zeroes them. */
export function takeAuthCounters(c: AuthCounters): AuthCounters {
  const out = { ...c };
  for (const k of AUTH_COUNTERS) c[k] = 0;
  return out;
}
