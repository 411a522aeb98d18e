/**
 * Layout of the response cache's SharedArrayBuffer: the one place that names its regions and
 * slots. The supervisor creates it once per process (it outlives reloads; the cached entries
 * themselves live in LMDB) and hands the same buffer to every worker, spares included.
 *
 * Words are Int32 (Atomics on an Int32Array over the whole buffer):
 *
 *   word 0   MAGIC          written once by the supervisor before any worker exists
 *   word 1   PURGE_EPOCH    bumped by the supervisor after a purge committed; a worker that sees
 *                           it change drops its LMDB read snapshot before its next lookup
 *   word 2   CHANGE_EPOCH   bumped by whichever thread committed a change to the stored entries (a
 *                           fill, a removal, a purge, an eviction): a worker that sees it change
 *                           drops the copies of entries it keeps in memory (cache/hot-entries.ts)
 *   word 3   reserved
 *   CLAIMS   CLAIM_SLOTS slots of CLAIM_STRIDE words: who fetches a key from the upstream
 *     +0 CLAIM_KEY          0 = free, else the key's hash (never 0, see claimWord)
 *     +1 CLAIM_EXPIRES      seconds since the epoch at which a claim is abandoned (its leader died
 *                           or hangs): the next request may take it over
 *   ACCESS   ACCESS_SLOTS words: seconds since the epoch a key hashing there was last served
 *            (an approximate LRU clock: keys sharing a slot look as recent as the latest of them,
 *            which only ever delays their eviction)
 *
 * Why a claim is one compareExchange of the key word: the slot is free (0), taken for this key
 * (its hash) or taken for another key; a request that finds another key's claim there fetches on
 * its own (no coalescing for that key, never a wrong answer). Two keys with the same 32-bit hash
 * make the second wait for the first's fetch, find nothing stored under its own key and then
 * fetch itself: slower, never wrong.
 */

export const CACHE_SHM_MAGIC = 0x54474348; // 'TGCH'

export const MAGIC = 0;
export const PURGE_EPOCH = 1;
export const CHANGE_EPOCH = 2;
const HEADER_WORDS = 4;

export const CLAIM_SLOTS = 4096;
export const CLAIM_STRIDE = 2;
export const CLAIM_KEY = 0;
export const CLAIM_EXPIRES = 1;
const CLAIMS_BASE = HEADER_WORDS;

/** A power of two: a slot is `hash & (ACCESS_SLOTS - 1)`. 256 KiB. */
export const ACCESS_SLOTS = 65536;
const ACCESS_BASE = CLAIMS_BASE + CLAIM_SLOTS * CLAIM_STRIDE;

const TOTAL_WORDS = ACCESS_BASE + ACCESS_SLOTS;

/** Word index of a claim slot's field for a key hash. */
export function claimSlot(hash: number, field: number): number {
  return CLAIMS_BASE + ((hash >>> 0) % CLAIM_SLOTS) * CLAIM_STRIDE + field;
}

/** The value a claim's key word holds for a hash: never 0, which means free. */
export function claimWord(hash: number): number {
  return hash | 1;
}

/** Word index of the access-clock slot of a key hash. */
export function accessSlot(hash: number): number {
  return ACCESS_BASE + (hash & (ACCESS_SLOTS - 1));
}

export function createCacheShm(): SharedArrayBuffer {
  const sab = new SharedArrayBuffer(TOTAL_WORDS * 4);
  new Int32Array(sab)[MAGIC] = CACHE_SHM_MAGIC;
  return sab;
}

/** Seconds since the epoch, as the claim and access words hold them (an Int32 lasts until 2038; read as unsigned, to 2106). */
export function epochSeconds(nowMs: number): number {
  return Math.floor(nowMs / 1000) | 0;
}
