/**
 * Layout of the upstream-state SharedArrayBuffer: what every worker of a node must agree on about
 * upstream targets (health, circuit state, in-flight counts) and upstreams (the retry budget).
 * The supervisor creates it once at start and hands the same buffer to every worker (WorkerInit);
 * it lives as long as the process, across reloads and discovery changes.
 *
 * Slots. A target slot belongs to one (upstream name, target origin) while some config generation
 * or discovered set names it; the supervisor assigns slots (supervisor/target-slots.ts) and tells
 * the workers which slot each target has, with the slot's EPOCH. A slot given to another target
 * gets a new epoch and reset words. A worker still finishing a request on a removed target (an old
 * generation drains) compares the epoch before every write, so it cannot count its outcome against
 * the slot's new owner. Upstream slots (the retry budget) work the same way, per upstream name.
 *
 * Addressing: Int32 word offsets into one Int32Array over the whole buffer; the 64-bit times
 * (REOPEN_AT) are BigInt64 indexes of the same bytes (word offset / 2, kept even).
 *
 * Header (HEADER_WORDS):
 *   word 0  MAGIC
 *   word 1  reserved
 *   words 2..3  BASE_MS: the shared clock (shm/shared-clock.ts) when the buffer was made (Float64), written once before the
 *           buffer is posted to any worker (postMessage orders it before every read). Bucket ids
 *           count from it, so they fit an Int32 for years.
 *
 * Target slot (TARGET_WORDS words), the writers named per word:
 *   +0  T_EPOCH          supervisor, when it assigns the slot
 *   +1  T_IN_FLIGHT      workers, least-requests only: (epoch & EPOCH_TAG_MASK) << COUNT_BITS | count,
 *                        changed by compareExchange only, so a count of a previous owner is never
 *                        mixed with the new one's
 *   +2  T_HEALTH         UP / DOWN: supervisor (active checks), workers (passive, UP -> DOWN by CAS)
 *   +3  T_DOWNS          times the target went down: bumped by whoever moved it down; the active
 *                        checker restarts its streak of successes when it changes
 *   +4  T_FAIL_STREAK    consecutive failures in real traffic (workers)
 *   +5  T_CIRCUIT        CLOSED / OPEN / HALF_OPEN (workers, by CAS)
 *   +6  T_OPENINGS       times the circuit opened (workers)
 *   +7  reserved
 *   +8  T_REOPEN_AT      (BigInt64) shared-clock time after which an open circuit lets one probe through;
 *                        claimed by compareExchange, so exactly one worker of the node probes
 *   +10 T_BUCKETS        BUCKETS x BUCKET_WORDS: the circuit breaker's sliding window
 *
 * Upstream slot (UPSTREAM_WORDS words):
 *   +0  U_EPOCH          supervisor
 *   +1  reserved
 *   +2  U_BUCKETS        BUCKETS x BUCKET_WORDS: the retry budget's sliding window (first tries
 *                        in B_COUNT, retries in B_MARKED)
 *
 * Bucket (BUCKET_WORDS words): B_ID (window index the counts belong to, -1 = empty), B_COUNT,
 * B_MARKED (failures for the breaker, retries for the budget). See shm/sliding-window.ts.
 */
import { sharedNow } from './shared-clock.js';

export const UPSTREAM_STATE_MAGIC = 0x54475531; // "TGU1"
export const MAGIC = 0;
export const HEADER_WORDS = 4;
export const BASE_MS_BYTE_OFFSET = 8;

export const BUCKETS = 10;
export const BUCKET_WORDS = 3;
export const B_ID = 0;
export const B_COUNT = 1;
export const B_MARKED = 2;

export const T_EPOCH = 0;
export const T_IN_FLIGHT = 1;
export const T_HEALTH = 2;
export const T_DOWNS = 3;
export const T_FAIL_STREAK = 4;
export const T_CIRCUIT = 5;
export const T_OPENINGS = 6;
export const T_REOPEN_AT = 8;
export const T_BUCKETS = 10;
export const TARGET_WORDS = T_BUCKETS + BUCKETS * BUCKET_WORDS; // 40: even, so every slot's REOPEN_AT is 8-byte aligned

export const U_EPOCH = 0;
export const U_BUCKETS = 2;
export const UPSTREAM_WORDS = U_BUCKETS + BUCKETS * BUCKET_WORDS;

/** Targets (static and discovered, all upstreams) one node can track at once. */
export const TARGET_CAPACITY = 4096;
export const UPSTREAM_CAPACITY = 1024;

export const HEALTH_DOWN = 0;
export const HEALTH_UP = 1;

export const CIRCUIT_CLOSED = 0;
export const CIRCUIT_OPEN = 1;
export const CIRCUIT_HALF_OPEN = 2;
export const CIRCUIT_NAMES = ['closed', 'open', 'half-open'] as const;

/** In-flight word: a 20-bit count under an 11-bit epoch tag (the sign bit stays clear). */
export const COUNT_BITS = 20;
export const COUNT_MASK = (1 << COUNT_BITS) - 1;
export const EPOCH_TAG_MASK = 0x7ff;

const TARGETS_START = HEADER_WORDS;
const UPSTREAMS_START = TARGETS_START + TARGET_CAPACITY * TARGET_WORDS;
const TOTAL_WORDS = UPSTREAMS_START + UPSTREAM_CAPACITY * UPSTREAM_WORDS;

export function targetBase(slot: number): number {
  return TARGETS_START + slot * TARGET_WORDS;
}

export function upstreamBase(slot: number): number {
  return UPSTREAMS_START + slot * UPSTREAM_WORDS;
}

/** The BigInt64 index of a target's REOPEN_AT. */
export function reopenAtIndex(slot: number): number {
  return (targetBase(slot) + T_REOPEN_AT) / 2;
}

export function inFlightWord(epoch: number, count: number): number {
  return ((epoch & EPOCH_TAG_MASK) << COUNT_BITS) | count;
}

export function createUpstreamState(): SharedArrayBuffer {
  const sab = new SharedArrayBuffer(TOTAL_WORDS * 4);
  const words = new Int32Array(sab);
  words[MAGIC] = UPSTREAM_STATE_MAGIC;
  new Float64Array(sab, BASE_MS_BYTE_OFFSET, 1)[0] = sharedNow();
  return sab;
}

/** The views every reader and writer uses over one buffer. */
export interface UpstreamStateViews {
  words: Int32Array;
  times: BigInt64Array;
  baseMs: number;
}

export function upstreamStateViews(sab: SharedArrayBuffer): UpstreamStateViews {
  const words = new Int32Array(sab);
  if (words[MAGIC] !== UPSTREAM_STATE_MAGIC) throw new Error('not an upstream-state buffer');
  return { words, times: new BigInt64Array(sab), baseMs: new Float64Array(sab, BASE_MS_BYTE_OFFSET, 1)[0]! };
}
