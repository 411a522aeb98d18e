// The JWS algorithms a `jwt` provider may allow, and which key types each one verifies with.
// The allow-list is the provider's (config); a token's own `alg` only picks among those.

export const JWT_ALGORITHMS = [
  'HS256', 'HS384', 'HS512',
  'RS256', 'RS384', 'RS512',
  'PS256', 'PS384', 'PS512',
  'ES256', 'ES384', 'ES512',
  'EdDSA', 'Ed25519',
] as const;

export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

/** JWK key type (`kty`) each algorithm needs. */
export type KeyType = 'oct' | 'RSA' | 'EC' | 'OKP';

export function keyTypeOf(alg: JwtAlgorithm): KeyType {
  if (alg.startsWith('HS')) return 'oct';
  if (alg.startsWith('RS') || alg.startsWith('PS')) return 'RSA';
  if (alg.startsWith('ES')) return 'EC';
  return 'OKP';
}

export function isHmac(alg: JwtAlgorithm): boolean {
  return keyTypeOf(alg) === 'oct';
}

/** The curve an EC or OKP algorithm verifies with; null where the key type says it all. */
export function curveOf(alg: JwtAlgorithm): string | null {
  switch (alg) {
    case 'ES256': return 'P-256';
    case 'ES384': return 'P-384';
    case 'ES512': return 'P-521';
    case 'EdDSA':
    case 'Ed25519': return 'Ed25519';
    default: return null;
  }
}

/**
 * RFC 7518 §3.2: an HMAC key must be at least as long as the hash output. Shorter secrets are
 * refused at validation (a short secret is guessable offline from any token it signed).
 */
export function minSecretBytes(alg: JwtAlgorithm): number {
  return alg === 'HS512' ? 64 : alg === 'HS384' ? 48 : 32;
}

/** The algorithms a public key of this type and curve can verify, and the default allow-list for it. */
export function algorithmsForKey(kty: string, crv: string | undefined): { allowed: JwtAlgorithm[]; defaults: JwtAlgorithm[] } | null {
  if (kty === 'RSA') return { allowed: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'], defaults: ['RS256'] };
  if (kty === 'EC') {
    const alg = crv === 'P-256' ? 'ES256' : crv === 'P-384' ? 'ES384' : crv === 'P-521' ? 'ES512' : null;
    return alg === null ? null : { allowed: [alg], defaults: [alg] };
  }
  if (kty === 'OKP' && crv === 'Ed25519') return { allowed: ['EdDSA', 'Ed25519'], defaults: ['EdDSA', 'Ed25519'] };
  return null;
}

/** Whether a JWK can verify a token signed with `alg` (key type, curve, and the key's own alg/use when stated). */
export function keyFits(key: { kty: string; crv?: string | undefined; alg?: string | undefined; use?: string | undefined }, alg: JwtAlgorithm): boolean {
  if (key.kty !== keyTypeOf(alg)) return false;
  const crv = curveOf(alg);
  if (crv !== null && key.crv !== crv) return false;
  if (key.use !== undefined && key.use !== 'sig') return false;
  // EdDSA and Ed25519 name the same signature over Ed25519 keys (RFC 9864).
  if (key.alg !== undefined && key.alg !== alg && !(curveOf(key.alg as JwtAlgorithm) === 'Ed25519' && crv === 'Ed25519')) return false;
  return true;
}
