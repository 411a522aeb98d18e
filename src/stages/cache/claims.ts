import {
  CLAIM_EXPIRES, CLAIM_KEY, claimSlot, claimWord, epochSeconds,
} from '../../shm/cache-layout.js';

/** What a request that missed may do: fetch (it holds the claim), wait for the holder, or fetch unclaimed. */
export const LEAD = 0;
export const WAIT = 1;
export const UNCLAIMED = 2;
export type ClaimResult = typeof LEAD | typeof WAIT | typeof UNCLAIMED;

/**
 * Request coalescing across every worker of the process: the first request that misses a key
 * claims it in shared memory (shm/cache-layout.ts) and fetches; the others wait on the claim word
 * (Atomics.waitAsync: no polling, no thread blocked) until the holder stored the answer and let
 * go, then read it from LMDB. The claim carries an expiry, so a holder that died or hangs does
 * not hold its key for longer than the route's timeout.
 */
export class Claims {
  constructor(private readonly words: Int32Array) {}

  /** Tries to claim `hash` for `holdMs` from `now` (epoch ms). */
  claim(hash: number, now: number, holdMs: number): ClaimResult {
    const words = this.words;
    const keyAt = claimSlot(hash, CLAIM_KEY);
    const expiresAt = claimSlot(hash, CLAIM_EXPIRES);
    const mine = claimWord(hash);
    const until = epochSeconds(now + holdMs) + 1;
    // One compareExchange decides between requests racing on every worker: only one sees 0.
    const held = Atomics.compareExchange(words, keyAt, 0, mine);
    if (held === 0) {
      // Until this store the slot reads as held with no expiry (0): nobody takes it over then.
      Atomics.store(words, expiresAt, until);
      return LEAD;
    }
    const expires = Atomics.load(words, expiresAt);
    if (expires !== 0 && epochSeconds(now) - expires > 0) {
      // Abandoned: its holder let the expiry pass. Of the requests that see that, the one whose
      // compareExchange on the expiry word succeeds takes the slot over; the others wait on it.
      if (Atomics.compareExchange(words, expiresAt, expires, until) === expires) {
        Atomics.store(words, keyAt, mine);
        return LEAD;
      }
    }
    return held === mine ? WAIT : UNCLAIMED;
  }

  /** Whether a request holds the claim on `hash` now (it is fetching that key). */
  held(hash: number): boolean {
    return Atomics.load(this.words, claimSlot(hash, CLAIM_KEY)) === claimWord(hash);
  }

  /**
   * Lets go of a claim and wakes its waiters. The expiry is cleared before the key word: once the
   * key word reads 0 a new holder may write its own expiry, which a late clear would erase
   * (leaving a claim that never expires).
   */
  release(hash: number): void {
    const words = this.words;
    const keyAt = claimSlot(hash, CLAIM_KEY);
    if (Atomics.load(words, keyAt) !== claimWord(hash)) return;
    Atomics.store(words, claimSlot(hash, CLAIM_EXPIRES), 0);
    // Another request may have taken an abandoned claim over meanwhile (same word): clearing it
    // only wakes its waiters early; they find the answer stored or fetch on their own.
    Atomics.compareExchange(words, keyAt, claimWord(hash), 0);
    Atomics.notify(words, keyAt);
  }

  /**
   * Resolves once the claim on `hash` is released (true) or after `timeoutMs` (false); at once
   * (true) when it was released already. Waiting blocks nothing: waitAsync queues a task for this
   * thread when the word changes and notify() is called.
   */
  wait(hash: number, timeoutMs: number): Promise<boolean> | boolean {
    const result = Atomics.waitAsync(this.words, claimSlot(hash, CLAIM_KEY), claimWord(hash), timeoutMs);
    if (!result.async) return true;
    // waitAsync's own timeout frees its waiter record in V8, but holds no handle on the event
    // loop, so it is not a timer Node waits for: this one is, and settles the wait first.
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      void result.value.then((outcome) => {
        clearTimeout(timer);
        resolve(outcome === 'ok');
      });
    });
  }
}
