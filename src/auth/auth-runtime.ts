// A worker thread's identity state that outlives config generations: JWKS copies (kept current
// by the supervisor), the verification pool, token caches and counters. compileAuth builds a
// generation's providers over it.
import { sha256 } from './sha256.js';
import type { JWK } from 'jose';
import type { GatewayConfig, JwtProviderConfig } from '../config/types.js';
import { ApiKeyTable } from './api-keys.js';
import { newAuthCounters, type AuthCounters } from './counters.js';
import { JwksKeyRing } from './jwks-key-ring.js';
import type { JwksUpdate } from './jwks-messages.js';
import { readPublicKeyFile } from './key-file.js';
import { StaticKeyRing, type KeyRing } from './key-ring.js';
import { JwtProvider } from './jwt-provider.js';
import { offloadRule } from './offload-rule.js';
import { TokenCache } from './token-cache.js';
import { VerifyPool } from './verify-pool.js';

export class AuthRuntime {
  readonly counters: AuthCounters = newAuthCounters();
  private readonly rings = new Map<string, JwksKeyRing>();
  private readonly caches = new Map<string, { signature: string; cache: TokenCache }>();
  private pool: VerifyPool | null = null;

  /** `ask` sends the supervisor a refetch request for a JWKS (an unknown kid was seen). */
  constructor(private readonly ask: (uri: string) => void, initial: readonly JwksUpdate[]) {
    for (const update of initial) this.onJwks(update);
  }

  onJwks(update: JwksUpdate): void {
    this.ring(update.uri).apply(update);
  }

  ring(uri: string): JwksKeyRing {
    let ring = this.rings.get(uri);
    if (ring === undefined) {
      ring = new JwksKeyRing(uri, (u) => {
        this.counters.jwksRefetchAsked++;
        this.ask(u);
      });
      this.rings.set(uri, ring);
    }
    return ring;
  }

  /** The pool with these settings, made on first use; a reload that changes them replaces it. */
  verifyPool(threads: number, maxQueue: number): VerifyPool {
    const pool = this.pool;
    if (pool !== null && pool.threads === threads && pool.maxQueue === maxQueue) return pool;
    // Verifications still running in the old pool finish there (close waits for them).
    void pool?.close();
    return (this.pool = new VerifyPool(threads, maxQueue));
  }

  /** The provider's token cache: kept across a reload when the provider and its key are unchanged. */
  tokenCache(name: string, signature: string, max: number): TokenCache {
    const held = this.caches.get(name);
    if (held !== undefined && held.signature === signature && held.cache.max === max) return held.cache;
    const cache = new TokenCache(max);
    this.caches.set(name, { signature, cache });
    return cache;
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    if (pool !== null) await pool.close();
  }
}

/** A generation's identity settings on one worker thread, as the auth stage uses them. */
export interface AuthGeneration {
  apiKeys: ApiKeyTable;
  /** auth.apiKey.header and .query; null when API keys are off. */
  apiKeyHeader: string | null;
  apiKeyQuery: string | null;
  providers: ReadonlyMap<string, JwtProvider>;
  counters: AuthCounters;
}

export function compileAuth(config: GatewayConfig, runtime: AuthRuntime): AuthGeneration {
  const auth = config.auth;
  const rule = offloadRule(auth.offload);
  const pool = (): VerifyPool => runtime.verifyPool(auth.pool.threads, auth.pool.maxQueue);
  const providers = new Map<string, JwtProvider>();
  for (const [name, cfg] of Object.entries(auth.jwt)) {
    const { ring, keyId } = keyRingOf(name, cfg, runtime);
    const signature = JSON.stringify(cfg) + keyId;
    const cache = runtime.tokenCache(name, signature, auth.tokenCache);
    providers.set(name, new JwtProvider(name, cfg, ring, cache, rule, pool, runtime.counters));
  }
  return {
    apiKeys: new ApiKeyTable(config.consumers),
    apiKeyHeader: auth.apiKey?.header ?? null,
    apiKeyQuery: auth.apiKey?.query ?? null,
    providers,
    counters: runtime.counters,
  };
}

function keyRingOf(name: string, cfg: JwtProviderConfig, runtime: AuthRuntime): { ring: KeyRing; keyId: string } {
  if (cfg.jwksUri !== null) return { ring: runtime.ring(cfg.jwksUri), keyId: '' };
  let jwk: JWK;
  if (cfg.secret !== null) {
    jwk = { kty: 'oct', k: Buffer.from(cfg.secret).toString('base64url') };
  } else {
    // Read again here, as validated: a file changed since fails this generation, not a request.
    const key = readPublicKeyFile(cfg.publicKeyFile!);
    if (!key.ok) throw new Error(`auth.jwt.${name}.publicKeyFile ${cfg.publicKeyFile!} ${key.message}`);
    jwk = key.jwk as JWK;
  }
  return { ring: new StaticKeyRing(jwk), keyId: sha256(JSON.stringify(jwk), 'base64url') };
}
