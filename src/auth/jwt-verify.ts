// One JWT check with jose, the same on the worker thread and in the verification pool (the
// pool's task, src/tasks/verify-jwt.ts, calls verifyJwt). Results are plain data so they cross
// the thread boundary as they are.
import { webcrypto } from 'node:crypto';
import { errors, importJWK, jwtVerify, type CryptoKey, type JWK } from 'jose';
import type { JwtAlgorithm } from './algorithms.js';
import type { Refusal } from './identity.js';

/** The claim checks of one provider (config, precomputed). */
export interface ClaimChecks {
  algorithms: readonly JwtAlgorithm[];
  issuer: string[] | null;
  audience: string[] | null;
  /** Seconds. */
  clockTolerance: number;
}

export type VerifyResult = { ok: true; payload: Record<string, unknown> } | { ok: false; refusal: Refusal };

const HMAC_HASH: Record<string, string> = { HS256: 'SHA-256', HS384: 'SHA-384', HS512: 'SHA-512' };

/**
 * A CryptoKey for `alg`, made once per key and algorithm by the caller's cache: a JWK or raw
 * secret passed to jose instead would be imported again on every verification.
 */
export async function importVerifyKey(jwk: JWK, alg: JwtAlgorithm): Promise<CryptoKey> {
  const hmac = HMAC_HASH[alg];
  if (hmac !== undefined) {
    if (jwk.kty !== 'oct' || typeof jwk.k !== 'string') throw new TypeError('an HMAC key must be an oct JWK');
    return (await webcrypto.subtle.importKey('raw', Buffer.from(jwk.k, 'base64url'), { name: 'HMAC', hash: hmac }, false, ['verify'])) as CryptoKey;
  }
  return (await importJWK(jwk, alg)) as CryptoKey;
}

/**
 * Verifies signature and claims: the algorithm must be in the allow-list (jose checks it before
 * the key is used), `exp` is required, `nbf` and `iat` may not lie in the future (each with the
 * clock tolerance), unknown `crit` parameters are refused (jose's default).
 */
export async function verifyJwt(token: string, key: CryptoKey, checks: ClaimChecks): Promise<VerifyResult> {
  try {
    const { payload } = await jwtVerify(token, key, {
      algorithms: checks.algorithms as string[],
      ...(checks.issuer === null ? {} : { issuer: checks.issuer }),
      ...(checks.audience === null ? {} : { audience: checks.audience }),
      clockTolerance: checks.clockTolerance,
      requiredClaims: ['exp'],
    });
    // jose checks iat only against a maximum token age: a token issued in the future is refused here.
    if (typeof payload.iat === 'number' && payload.iat > Date.now() / 1000 + checks.clockTolerance) return { ok: false, refusal: 'issuedInFuture' };
    return { ok: true, payload: payload as Record<string, unknown> };
  } catch (err) {
    return { ok: false, refusal: refusalOf(err) };
  }
}

export function refusalOf(err: unknown): Refusal {
  if (err instanceof errors.JWTExpired) return 'expired';
  if (err instanceof errors.JWTClaimValidationFailed) {
    switch (err.claim) {
      case 'nbf': return 'notYetValid';
      case 'iss': return 'issuer';
      case 'aud': return 'audience';
      case 'exp': return 'noExpiry';
      default: return 'claims';
    }
  }
  if ((err instanceof errors.JWSInvalid || err instanceof errors.JOSENotSupported) && /"crit"|Extension Header Parameter/.test(err.message)) return 'crit';
  if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported) return 'algorithm';
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'signature';
  // A CryptoKey of another type or curve than the token's algorithm needs.
  if (err instanceof TypeError) return 'keyType';
  return 'malformed';
}
