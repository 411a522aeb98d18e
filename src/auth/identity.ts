// What a verified credential yields, and why one was refused. Plain data: outcomes cross from
// the verification pool as they are.

/** Who made a request, and what their token allows. */
export interface Identity {
  consumer: string;
  /** The token's scopes; empty for API keys. */
  scopes: ReadonlySet<string>;
}

/** Why a credential was refused, as the 401 answer's detail says it (never quoting the credential). */
export const REFUSALS = {
  malformed: 'it is not a well-formed JWT',
  algorithm: 'its algorithm is not accepted here',
  crit: 'it has a critical header parameter the gateway does not understand',
  unknownKey: 'it names a signing key the gateway does not know',
  ambiguousKey: 'it names no key ("kid") and several keys could have signed it',
  keyType: 'its signing key does not fit its algorithm',
  signature: 'its signature is not valid',
  expired: 'it has expired',
  notYetValid: 'it is not valid yet',
  issuedInFuture: 'it was issued in the future',
  noExpiry: 'it has no "exp" claim',
  issuer: 'its issuer is not accepted here',
  audience: 'its audience is not accepted here',
  claims: 'its claims are not valid',
  consumer: 'its consumer claim is missing or not a usable id',
} as const;

export type Refusal = keyof typeof REFUSALS;

/** A consumer id goes into a header (X-Consumer-Id) and logs: visible ASCII, at most 256 characters. */
const CONSUMER_ID = /^[\x21-\x7e]{1,256}$/;

export function consumerId(value: unknown): string | null {
  if (typeof value === 'number' && Number.isSafeInteger(value)) value = String(value);
  return typeof value === 'string' && CONSUMER_ID.test(value) ? value : null;
}

const NO_SCOPES: ReadonlySet<string> = new Set();

/** Scopes from `scope` (space-separated string, RFC 8693) and `scp` (list, or string as some IdPs send it). */
export function scopesOf(payload: Record<string, unknown>): ReadonlySet<string> {
  let out: Set<string> | null = null;
  for (const claim of [payload['scope'], payload['scp']]) {
    const list = typeof claim === 'string' ? claim.split(' ') : Array.isArray(claim) ? claim : null;
    if (list === null) continue;
    for (const s of list) if (typeof s === 'string' && s !== '') (out ??= new Set()).add(s);
  }
  return out ?? NO_SCOPES;
}

export function apiKeyIdentity(consumer: string): Identity {
  return { consumer, scopes: NO_SCOPES };
}
