/**
 * Layout of the rate-limit SharedArrayBuffer: the one place that names its words and slots.
 *
 * The supervisor creates the buffer once, at start, with `rateLimits.capacity` slots, and hands
 * the same buffer to every worker (WorkerInit.rateLimits), including the ones that replace a dead
 * worker. It outlives every reload: a reload sends a new config, never a new buffer, so counters
 * are kept (changing the capacity needs a restart). src/shm/rate-limit-table.ts is the only code
 * that reads or writes it after creation.
 *
 * The buffer is viewed twice: an Int32Array for the header's fixed words and a BigInt64Array for
 * the counters and the slots (64-bit words, 8-byte aligned: the header is 64 bytes).
 *
 *   Int32 words (written once by the creating thread, before the buffer is posted):
 *     0 MAGIC   1 VERSION   2 CAPACITY   3 PROBE (slots looked at per key)
 *     4 SEED_A  5 SEED_B    (random seeds of the key hash: keys cannot be chosen to collide)
 *     6..7 reserved
 *   BigInt64 words 4..7: counters, only ever increased with Atomics.add, read by the supervisor
 *     4 CLAIMED  empty slots taken (slots never become empty again: slots in use)
 *     5 REUSED   idle slots given to another key
 *     6 FULL     requests refused because every slot of their probe window was busy
 *     7 STUCK    requests refused because a slot stayed marked (see RETIRED) past the wait bound
 *   Slots from BigInt64 word SLOTS_BASE, SLOT_WORDS words each (slotWord):
 *     +0 KEY  64-bit hash of the limiter key (route or plan, limit, `by` value); 0 = empty
 *     +1 TAT  GCRA theoretical arrival time, in process.hrtime nanoseconds; 0 = never used;
 *             RETIRED while the slot changes owner
 *
 * Invariants the lock-free protocol relies on (proved where it is used, rate-limit-table.ts):
 *   - a KEY goes from 0 to a key once (CAS) and is only rewritten while its TAT is RETIRED;
 *   - a TAT never takes the same value twice (charges raise it, a new owner gets the old value
 *     + 1), so a compareExchange that succeeds saw no change in between (no ABA).
 */

export const RATE_LIMIT_MAGIC = 0x5447524c; // 'TGRL'
export const RATE_LIMIT_VERSION = 1;

// Int32 header words.
export const H_MAGIC = 0;
export const H_VERSION = 1;
export const H_CAPACITY = 2;
export const H_PROBE = 3;
export const H_SEED_A = 4;
export const H_SEED_B = 5;

// BigInt64 counter words.
export const C_CLAIMED = 4;
export const C_REUSED = 5;
export const C_FULL = 6;
export const C_STUCK = 7;

export const SLOTS_BASE = 8;
export const SLOT_WORDS = 2;
export const KEY = 0;
export const TAT = 1;

/** A TAT word while its slot changes owner: never a time (times are >= 0). */
export const RETIRED = -1n;
/** A KEY word of a slot no key has taken. Key hashes are never 0 (see rate-limit-table.ts). */
export const EMPTY = 0n;

/** Slots looked at for one key: its home slot and the ones after it (wrapping). */
export const PROBE_WINDOW = 16;
/** Largest capacity accepted (16 bytes a slot: 160 MB). */
export const MAX_CAPACITY = 10_000_000;

export function slotWord(slot: number, field: number): number {
  return SLOTS_BASE + slot * SLOT_WORDS + field;
}

export function createRateLimitBuffer(capacity: number, seedA: number, seedB: number): SharedArrayBuffer {
  if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_CAPACITY) throw new RangeError(`rate-limit capacity ${capacity} out of range`);
  // Zero-filled: every slot starts EMPTY with TAT 0. Untouched pages cost no memory until used.
  const sab = new SharedArrayBuffer((SLOTS_BASE + capacity * SLOT_WORDS) * 8);
  const words = new Int32Array(sab);
  words[H_MAGIC] = RATE_LIMIT_MAGIC;
  words[H_VERSION] = RATE_LIMIT_VERSION;
  words[H_CAPACITY] = capacity;
  words[H_PROBE] = Math.min(PROBE_WINDOW, capacity);
  words[H_SEED_A] = seedA | 0;
  words[H_SEED_B] = seedB | 0;
  return sab;
}
