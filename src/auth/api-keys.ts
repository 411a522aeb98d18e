// API keys, held and compared as SHA-256 digests.
import { sha256 } from './sha256.js';
import type { GatewayConfig } from '../config/types.js';

/** The digest an API key is stored and looked up by (base64 of SHA-256). */
export function apiKeyDigest(key: string): string {
  return sha256(key, 'base64');
}

/** A short, non-reversible name for a key, for /config and logs: `sha256:` and 8 hex digits of its digest. */
export function apiKeyFingerprint(key: string): string {
  return 'sha256:' + sha256(key, 'hex').slice(0, 8);
}

/**
 * Every consumer's API keys, by digest. Why a Map keyed by digest is constant-time enough: the
 * lookup hashes and compares digests, never the keys. How long a failed lookup takes can at most
 * tell an attacker how much of the digest of the key they sent resembles a stored digest, and a
 * digest tells nothing of the key behind it (SHA-256 is preimage resistant): a guess that shares
 * a digest prefix is no closer to a stored key than any other. A plain comparison of the keys
 * themselves, which stops at the first differing byte, would leak the key byte by byte instead.
 * The keys themselves are not kept.
 */
export class ApiKeyTable {
  private readonly byDigest = new Map<string, string>();

  constructor(consumers: GatewayConfig['consumers']) {
    for (const [name, consumer] of Object.entries(consumers)) {
      for (const key of consumer.apiKeys) this.byDigest.set(apiKeyDigest(key), name);
    }
  }

  /** The consumer that owns `key`, or null. */
  consumerOf(key: string): string | null {
    return this.byDigest.get(apiKeyDigest(key)) ?? null;
  }

  get size(): number {
    return this.byDigest.size;
  }
}
