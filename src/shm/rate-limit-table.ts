// The shared rate-limit table: GCRA buckets in a SharedArrayBuffer that every worker thread reads
// and writes with Atomics (layout: rate-limit-layout.ts). No locks: a bucket is charged with one
// compareExchange, and a slot is taken with one.
//
// Why GCRA rather than a token bucket: a token bucket's state is two numbers (tokens, last refill)
// that must change together, which one 64-bit compareExchange cannot do without packing them into
// too few bits. GCRA (the generic cell rate algorithm) keeps one number per key, the theoretical
// arrival time (TAT): with `interval` = window / limit, a request at `now` is allowed when
// max(TAT, now) - now <= (limit - 1) * interval, and then TAT becomes max(TAT, now) + interval.
// That is a token bucket of `limit` tokens refilled at limit per window, decided and recorded by a
// single compareExchange of the TAT word: two workers can never both take the last token, so the
// limit is exact across workers. The tolerance is written (limit - 1) * interval rather than
// window - interval so that exactly `limit` requests pass in a burst even when window / limit
// does not divide evenly (interval is whole nanoseconds).
//
// Keys: a seeded 64-bit hash of "route or plan, limit, window, `by`, value" (two 32-bit lanes
// over the same characters). Two keys share a bucket only on a 64-bit collision; the seeds are
// random per gateway start, so keys cannot be picked to collide.
//
// Slots: open addressing. A key lives in one of the PROBE slots from its home slot (hash modulo
// capacity, then the next ones, wrapping). A lookup stops at the first empty slot: slots never
// become empty again, and a key only ever takes the first empty slot of its window (or reuses a
// slot when the window has none), so no key sits behind an empty slot.
//   - An empty slot is taken by compareExchange(KEY, EMPTY, key): of two threads taking it at once
//     one wins, and the other sees the winner's key (its own, or it moves on).
//   - When the window has no empty slot, the slot with the smallest TAT (the least recently used)
//     is reused if it is idle, i.e. TAT <= now: its bucket is full again, so forgetting it loses
//     nothing. It is marked with compareExchange(TAT, seen, RETIRED) (this fails if its owner
//     charged it in between), given the new key, and released with TAT = seen + 1 (still idle, and
//     a value the slot never had). Threads that meet a RETIRED slot wait for those two stores.
//   - When the least recently used slot is not idle, every slot of the window holds a live
//     bucket: the request is refused (503, counted as FULL) rather than forgetting a live bucket,
//     which would let its key start over: never an unlimited pass.
//   Two threads bringing in the same new key cannot end up in two slots: each reuses the slot
//   that is smallest by (TAT, probe position) in its own scan, TATs only grow, and a reuse only
//   succeeds if the slot's TAT did not change since the scan. If thread C took slot x and D slot
//   y, D read x before C's mark (else D would have waited, then found its key in x), so
//   TAT_D(x) <= TAT_C(x), and likewise TAT_C(y) <= TAT_D(y); C chose x, so (TAT_C(x), x) <
//   (TAT_C(y), y), and D chose y, so (TAT_D(y), y) < (TAT_D(x), x): the four TATs are then
//   equal and the positions contradict each other.
//
// Charging: read TAT, then check KEY is still ours (find() read it before), then compareExchange
// TAT. A success proves the slot was ours throughout: KEY only changes while TAT is RETIRED,
// which would have changed TAT, and TAT never repeats a value (no ABA).
import {
  C_CLAIMED, C_FULL, C_REUSED, C_STUCK, EMPTY, H_CAPACITY, H_MAGIC, H_PROBE, H_SEED_A, H_SEED_B, H_VERSION,
  KEY, RATE_LIMIT_MAGIC, RATE_LIMIT_VERSION, RETIRED, TAT, slotWord,
} from './rate-limit-layout.js';

/** What charge() and peek() decided. */
export const ALLOWED = 0;
/** The key's bucket is empty: answer 429. */
export const LIMITED = 1;
/** No slot for a new key: every slot of its window holds a live bucket (answer 503). */
export const FULL = 2;
/** A slot stayed RETIRED past the wait bound (a thread stopped between two stores; never seen). */
export const STUCK = 3;
export type Outcome = typeof ALLOWED | typeof LIMITED | typeof FULL | typeof STUCK;

/** The hash state after the fixed part of a key (route or plan, limit, window, by): computed once per route. */
export interface KeyPrefix {
  readonly a: number;
  readonly b: number;
}

export interface RateLimitTableStats {
  capacity: number;
  /** Slots holding a key (taken once, never emptied). */
  slotsUsed: number;
  /** Idle slots given to another key since start. */
  reused: number;
  /** Requests refused (503) because no slot could be found for their key. */
  full: number;
  stuck: number;
}

const NOT_FOUND = -1;
const NO_SLOT = -2;
const STUCK_SLOT = -3;
/** Scans restarted (a slot changed owner under us) before giving up as STUCK. */
const MAX_RESTARTS = 64;
const SPINS = 64;
/** Waits of 1 ms for a RETIRED slot: its owner is between two plain stores, so this is never reached in practice. */
const MAX_WAITS = 100;

function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

export class RateLimitTable {
  readonly capacity: number;
  private readonly words: BigInt64Array;
  private readonly probe: number;
  private readonly seedA: number;
  private readonly seedB: number;
  private home = 0;
  private readonly lanes = new Int32Array(2);
  /** Two int32 halves and the 64-bit key they make, over one buffer: one BigInt per key, no shifts. */
  private readonly keyHalves = new Int32Array(2);
  private readonly keyWord = new BigInt64Array(this.keyHalves.buffer);
  /**
   * Left by the last charge()/peek() for the caller to read at once (one thread, synchronous), so
   * that a check allocates no result object. ALLOWED: the new TAT; LIMITED: the TAT that refused;
   * FULL: the smallest TAT of the window (when a slot frees up). `now` is the time decided at.
   */
  tat = 0n;
  now = 0n;

  constructor(sab: SharedArrayBuffer) {
    const header = new Int32Array(sab, 0, 8);
    if (header[H_MAGIC] !== RATE_LIMIT_MAGIC || header[H_VERSION] !== RATE_LIMIT_VERSION) throw new Error('not a rate-limit table buffer');
    this.words = new BigInt64Array(sab);
    this.capacity = header[H_CAPACITY]!;
    this.probe = header[H_PROBE]!;
    this.seedA = header[H_SEED_A]!;
    this.seedB = header[H_SEED_B]!;
  }

  /** The hash state after `text`, the part of a key that is fixed per route or plan. */
  prefix(text: string): KeyPrefix {
    this.absorb(this.seedA ^ 0x811c9dc5, this.seedB, text);
    return { a: this.lanes[0]!, b: this.lanes[1]! };
  }

  /** Charges one request to the bucket of (prefix, value) if it has room. */
  charge(prefix: KeyPrefix, value: string, interval: bigint, tolerance: bigint): Outcome {
    const words = this.words;
    const key = this.key(prefix, value);
    const home = this.home;
    for (let restart = 0; restart < MAX_RESTARTS; restart++) {
      const slot = this.find(key, home, true);
      if (slot < 0) return slot === NO_SLOT ? FULL : STUCK;
      const at = slotWord(slot, TAT);
      for (;;) {
        const tat = Atomics.load(words, at);
        // The slot changed owner since find() saw our key: look again.
        if (tat === RETIRED || Atomics.load(words, at - TAT + KEY) !== key) break;
        // Read after the TAT: a TAT another thread wrote is then never ahead of our clock by
        // more than that thread's own decision (process.hrtime is one monotonic clock for all threads).
        const now = process.hrtime.bigint();
        const base = tat > now ? tat : now;
        if (base - now > tolerance) {
          this.tat = base;
          this.now = now;
          return LIMITED;
        }
        const next = base + interval;
        // Fails when another request of this key (any worker) charged first: decide again on its TAT.
        if (Atomics.compareExchange(words, at, tat, next) === tat) {
          this.tat = next;
          this.now = now;
          return ALLOWED;
        }
      }
    }
    Atomics.add(words, C_STUCK, 1n);
    return STUCK;
  }

  /**
   * What charge() would decide, without charging or taking a slot: ALLOWED or LIMITED (this.tat
   * is the bucket's TAT, at least now), or STUCK.
   */
  peek(prefix: KeyPrefix, value: string, tolerance: bigint): Outcome {
    const words = this.words;
    const key = this.key(prefix, value);
    const home = this.home;
    for (let restart = 0; restart < MAX_RESTARTS; restart++) {
      const slot = this.find(key, home, false);
      if (slot === STUCK_SLOT) return STUCK;
      if (slot === NOT_FOUND) {
        this.now = this.tat = process.hrtime.bigint();
        return ALLOWED;
      }
      const at = slotWord(slot, TAT);
      const tat = Atomics.load(words, at);
      if (tat === RETIRED || Atomics.load(words, at - TAT + KEY) !== key) continue;
      // After the TAT, as in charge().
      const now = process.hrtime.bigint();
      this.now = now;
      this.tat = tat > now ? tat : now;
      return this.tat - now > tolerance ? LIMITED : ALLOWED;
    }
    return STUCK;
  }

  stats(): RateLimitTableStats {
    const w = this.words;
    return {
      capacity: this.capacity,
      slotsUsed: Number(Atomics.load(w, C_CLAIMED)),
      reused: Number(Atomics.load(w, C_REUSED)),
      full: Number(Atomics.load(w, C_FULL)),
      stuck: Number(Atomics.load(w, C_STUCK)),
    };
  }

  /**
   * The slot holding `key`, taking one when `claim` (see the file comment): NOT_FOUND (claim
   * false), NO_SLOT (window full of live buckets; this.tat/now say when one frees up) or STUCK_SLOT.
   */
  private find(key: bigint, home: number, claim: boolean): number {
    const words = this.words;
    const capacity = this.capacity;
    restart: for (let restart = 0; restart < MAX_RESTARTS; restart++) {
      let best = -1;
      let bestTat = 0n;
      for (let i = 0; i < this.probe; i++) {
        let slot = home + i;
        if (slot >= capacity) slot -= capacity;
        const at = slotWord(slot, TAT);
        // TAT before KEY: a KEY read after a TAT that was not RETIRED is that owner's or a later one's.
        const tat = Atomics.load(words, at);
        if (tat === RETIRED) {
          // The slot is changing owner, maybe to our key: wait for it, then scan again.
          if (!this.waitOut(at)) break restart;
          continue restart;
        }
        const seen = Atomics.load(words, at - TAT + KEY);
        if (seen === key) return slot;
        if (seen === EMPTY) {
          if (!claim) return NOT_FOUND;
          // Two threads taking this slot at once: one compareExchange wins; the other gets the winner's key.
          const won = Atomics.compareExchange(words, at - TAT + KEY, EMPTY, key);
          if (won === EMPTY) {
            Atomics.add(words, C_CLAIMED, 1n);
            return slot;
          }
          if (won === key) return slot;
          continue restart;
        }
        if (best < 0 || tat < bestTat) {
          best = slot;
          bestTat = tat;
        }
      }
      if (!claim) return NOT_FOUND;
      const now = process.hrtime.bigint();
      if (bestTat > now) {
        Atomics.add(words, C_FULL, 1n);
        this.tat = bestTat;
        this.now = now;
        return NO_SLOT;
      }
      const at = slotWord(best, TAT);
      // Fails if the owner charged it since the scan (it is no longer idle) or it changed hands.
      if (Atomics.compareExchange(words, at, bestTat, RETIRED) !== bestTat) continue;
      Atomics.store(words, at - TAT + KEY, key);
      // Idle (<= now) and never a value this slot had: a charge of the old owner still in flight fails.
      Atomics.store(words, at, bestTat + 1n);
      Atomics.notify(words, at);
      Atomics.add(words, C_REUSED, 1n);
      return best;
    }
    Atomics.add(words, C_STUCK, 1n);
    return STUCK_SLOT;
  }

  /** Waits (bounded) while the TAT word at `at` is RETIRED; false if it stays so. */
  private waitOut(at: number): boolean {
    const words = this.words;
    for (let i = 0; i < SPINS; i++) if (Atomics.load(words, at) !== RETIRED) return true;
    for (let i = 0; i < MAX_WAITS; i++) {
      Atomics.wait(words, at, RETIRED, 1);
      if (Atomics.load(words, at) !== RETIRED) return true;
    }
    return false;
  }

  private key(prefix: KeyPrefix, value: string): bigint {
    this.absorb(prefix.a, prefix.b, value);
    const a = mix(this.lanes[0]! ^ value.length);
    const b = mix(this.lanes[1]! ^ Math.imul(value.length, 0x9e3779b1));
    this.home = (a >>> 0) % this.capacity;
    // The halves as one signed 64-bit value, read the way the table's BigInt64Array reads it (the
    // platform's byte order either way). 0 marks an empty slot, so it is never a key.
    this.keyHalves[0] = b;
    this.keyHalves[1] = a;
    const key = this.keyWord[0]!;
    return key === EMPTY ? 1n : key;
  }

  /** Hashes `text` on from the lanes (a, b) into this.lanes (no object per request). */
  private absorb(a: number, b: number, text: string): void {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995);
      b ^= b >>> 15;
    }
    this.lanes[0] = a;
    this.lanes[1] = b;
  }
}
