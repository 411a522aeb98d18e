// One `auth.jwt.NAME` provider on one worker thread, for one config generation: its keys, its
// token cache and where its signature checks run.
import { decodeProtectedHeader, type CryptoKey } from 'jose';
import type { JwtProviderConfig } from '../config/types.js';
import type { JwtAlgorithm } from './algorithms.js';
import type { AuthCounters } from './counters.js';
import { consumerId, scopesOf, type Identity, type Refusal } from './identity.js';
import { JwksKeyRing } from './jwks-key-ring.js';
import type { KeyRing } from './key-ring.js';
import { verifyJwt, type ClaimChecks, type VerifyResult } from './jwt-verify.js';
import type { OffloadRule } from './offload-rule.js';
import type { TokenCache } from './token-cache.js';
import { POOL_FULL, type VerifyPool } from './verify-pool.js';

export type JwtOutcome =
  | { ok: true; identity: Identity }
  | { ok: false; why: 'refused'; refusal: Refusal }
  /** The verification pool's queue is full (503). */
  | { ok: false; why: 'overloaded' }
  /** The provider's JWKS was never fetched (503). */
  | { ok: false; why: 'unavailable' };

const refused = (refusal: Refusal): JwtOutcome => ({ ok: false, why: 'refused', refusal });
const CHOICE_REFUSAL = { unknown: 'unknownKey', mismatch: 'keyType', ambiguous: 'ambiguousKey' } as const;

export class JwtProvider {
  readonly forwardToken: boolean;
  private readonly allowed: ReadonlySet<string>;
  private readonly checks: ClaimChecks;
  private readonly claim: string;
  private cacheVersion = -1;

  constructor(
    readonly name: string,
    cfg: JwtProviderConfig,
    private readonly ring: KeyRing,
    private readonly cache: TokenCache,
    private readonly offload: OffloadRule,
    private readonly pool: () => VerifyPool,
    private readonly counters: AuthCounters,
  ) {
    this.forwardToken = cfg.forwardToken;
    this.allowed = new Set(cfg.algorithms);
    this.claim = cfg.consumerClaim;
    this.checks = {
      algorithms: cfg.algorithms,
      issuer: cfg.issuer,
      audience: cfg.audience,
      clockTolerance: Math.floor(cfg.clockTolerance / 1000),
    };
  }

  /** The identity of a token verified before and not expired since, by its hash; no crypto. */
  cached(key: string, now: number): Identity | null {
    if (this.ring.version !== this.cacheVersion) {
      // The key set changed: tokens of keys that left it must not stay accepted.
      this.cache.clear();
      this.cacheVersion = this.ring.version;
    }
    return this.cache.get(key, now);
  }

  async verify(token: string, key: string): Promise<JwtOutcome> {
    let header: { alg?: unknown; kid?: unknown };
    try {
      header = decodeProtectedHeader(token);
    } catch {
      return refused('malformed');
    }
    // Refused here, before any key is looked up or any work queued: `none`, HS* against a
    // public key, anything outside the allow-list.
    const alg = header.alg;
    if (typeof alg !== 'string' || !this.allowed.has(alg)) return refused('algorithm');
    const ring = this.ring;
    if (!ring.loaded) return { ok: false, why: 'unavailable' };
    let choice = ring.select(header.kid, alg as JwtAlgorithm);
    if (choice === 'unknown' && ring instanceof JwksKeyRing) {
      const asked = ring.refetch(Date.now());
      if (asked !== false) {
        await asked;
        choice = ring.select(header.kid, alg as JwtAlgorithm);
      }
    }
    if (typeof choice === 'string') return refused(CHOICE_REFUSAL[choice]);
    let result: VerifyResult;
    if (this.offload(alg as JwtAlgorithm)) {
      const pooled = await this.pool().run({ token, keyId: choice.id, jwk: choice.jwk, alg: alg as JwtAlgorithm, checks: this.checks });
      if (pooled === POOL_FULL) return { ok: false, why: 'overloaded' };
      this.counters.jwtOffloaded++;
      result = pooled;
    } else {
      this.counters.jwtInline++;
      let cryptoKey: CryptoKey;
      try {
        cryptoKey = await choice.cryptoKey(alg as JwtAlgorithm);
      } catch {
        return refused('keyType');
      }
      result = await verifyJwt(token, cryptoKey, this.checks);
    }
    if (!result.ok) return refused(result.refusal);
    const consumer = consumerId(result.payload[this.claim]);
    if (consumer === null) return refused('consumer');
    const identity: Identity = { consumer, scopes: scopesOf(result.payload) };
    const now = Date.now();
    this.cache.set(key, identity, (result.payload['exp'] as number) * 1000, now);
    return { ok: true, identity };
  }
}
