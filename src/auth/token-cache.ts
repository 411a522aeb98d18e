// Verified tokens of one provider on one worker thread, so that a repeated token costs a hash
// and a Map lookup instead of a signature check.
import { sha256 } from './sha256.js';
import type { Identity } from './identity.js';

interface Entry {
  identity: Identity;
  /** Epoch milliseconds: the token's exp, never later. */
  expiresAt: number;
}

/**
 * The key a token is cached by: its SHA-256. The cache holds no tokens, and a 43-character
 * key costs less memory than a token of a kilobyte.
 */
export function tokenHash(token: string): string {
  return sha256(token, 'base64');
}

/**
 * Bounded in entries: when full, the oldest entry goes (a Map iterates in insertion order), so a
 * flood of distinct valid tokens costs at most `max` entries. An entry expires at its token's
 * `exp` at the latest.
 */
export class TokenCache {
  private readonly entries = new Map<string, Entry>();

  constructor(readonly max: number) {}

  get(key: string, now: number): Identity | null {
    const e = this.entries.get(key);
    if (e === undefined) return null;
    if (e.expiresAt <= now) {
      this.entries.delete(key);
      return null;
    }
    return e.identity;
  }

  set(key: string, identity: Identity, expiresAt: number, now: number): void {
    if (this.max === 0 || expiresAt <= now) return;
    if (this.entries.size >= this.max && !this.entries.has(key)) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { identity, expiresAt });
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
