// The keys a provider verifies with: one static key (secret, publicKeyFile) or a JWKS sent by
// the supervisor. Picks the key for a token from its header, never trusting the header's alg
// beyond the provider's allow-list.
import { sha256 } from './sha256.js';
import type { CryptoKey, JWK } from 'jose';
import { keyFits, type JwtAlgorithm } from './algorithms.js';
import { importVerifyKey } from './jwt-verify.js';

/** One verification key, with its CryptoKeys made on first use per algorithm. */
export class KeyEntry {
  /** Names this key to the pool threads, which keep their own CryptoKeys by it. */
  readonly id: string;
  readonly kid: string | undefined;
  private readonly imported = new Map<JwtAlgorithm, Promise<CryptoKey>>();

  constructor(readonly jwk: JWK) {
    this.id = sha256(JSON.stringify(jwk), 'base64url').slice(0, 22);
    this.kid = typeof jwk.kid === 'string' ? jwk.kid : undefined;
  }

  cryptoKey(alg: JwtAlgorithm): Promise<CryptoKey> {
    let key = this.imported.get(alg);
    if (key === undefined) {
      key = importVerifyKey(this.jwk, alg);
      // A key that fails to import (a malformed JWKS entry) is tried again next time.
      key.catch(() => this.imported.delete(alg));
      this.imported.set(alg, key);
    }
    return key;
  }
}

/** unknown: no key has the token's kid; mismatch: one has, but of another type than the token's alg needs. */
export type KeyChoice = KeyEntry | 'unknown' | 'mismatch' | 'ambiguous';

export interface KeyRing {
  /** False until a JWKS was fetched once: the provider cannot verify anything yet. */
  readonly loaded: boolean;
  /** Changes whenever the keys change; cached tokens of an older version are checked again. */
  readonly version: number;
  select(kid: unknown, alg: JwtAlgorithm): KeyChoice;
}

/** A provider's one configured key: the token's kid is not consulted. */
export class StaticKeyRing implements KeyRing {
  readonly loaded = true;
  readonly version = 0;
  private readonly key: KeyEntry;

  constructor(jwk: JWK) {
    this.key = new KeyEntry(jwk);
  }

  select(_kid: unknown, alg: JwtAlgorithm): KeyChoice {
    return keyFits(this.key.jwk as { kty: string }, alg) ? this.key : 'mismatch';
  }
}

/**
 * The keys of a JWKS: a token's kid picks one; a token without kid is accepted only where
 * exactly one key fits its algorithm.
 */
export function selectFromSet(keys: readonly KeyEntry[], kid: unknown, alg: JwtAlgorithm): KeyChoice {
  let found: KeyEntry | null = null;
  let named = false;
  for (const key of keys) {
    if (kid !== undefined && key.kid !== kid) continue;
    named = true;
    if (!keyFits(key.jwk as { kty: string }, alg)) continue;
    if (found !== null) return 'ambiguous';
    found = key;
  }
  return found ?? (named && kid !== undefined ? 'mismatch' : 'unknown');
}
