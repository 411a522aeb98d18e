// Copies of the entries a worker serves, kept in its own memory while nothing in the cache changes.
//
// A hit read from LMDB costs about 1 us of a small hit's ~12 (lmdb-js writes the key into its key
// buffer, reads, copies the value into its read buffer: 11% of a hit's busy time in
// native-bench/PROFILE.md); a hit from here costs a Map lookup. Correctness rests on one shared
// word, CHANGE_EPOCH (shm/cache-layout.ts), which every thread that commits a change to the
// stored entries bumps after the commit (lmdb-store.ts: a fill, an invalidation, a purge, an
// eviction):
//
// - A copy is taken under the epoch read before the LMDB read; when a lookup sees the epoch
//   changed, every copy is dropped and the LMDB read snapshot renewed first, so a read after it
//   sees every commit the new epoch counts. A copy can therefore only be as old as the epoch it
//   is dropped with: no answer from here is older than what LMDB itself would have given.
// - Freshness is not the epoch's business: an entry's bytes carry their own freshness, checked on
//   every request whichever way they were read.
// - Copies are only taken once the epoch has held for STEADY_MS: while fills keep landing (a
//   cache still warming, a workload of misses), each change would drop the copies again, and a
//   lookup then reads LMDB as it does without this, with no copy made.
import { CHANGE_EPOCH } from '../shm/cache-layout.js';
import type { CacheStore } from './store.js';

/** How long the epoch must hold before copies are taken. */
export const STEADY_MS = 1_000;
/** Bounds per worker: the copies' bytes, their number, and the largest entry copied. */
const MAX_BYTES = 8 * 1024 * 1024;
const MAX_ENTRIES = 4096;
const MAX_ENTRY_BYTES = 256 * 1024;

/**
 * One copy and what its reader derived from it once (`derived`: the cache stage keeps there the
 * entry's fields and the head of a hit, stages/cache/served-copy.ts), dropped with it.
 */
export class HotCopy {
  derived: unknown = null;
  constructor(readonly bytes: Uint8Array) {}
}

export class HotEntries {
  private readonly copies = new Map<string, HotCopy>();
  /** The copy the last get() answered from; null when it answered LMDB's bytes or nothing. */
  lastCopy: HotCopy | null = null;
  private bytes = 0;
  private epoch: number;
  private steadySince: number;

  constructor(private readonly words: Int32Array, private readonly store: CacheStore, now: number) {
    this.epoch = Atomics.load(words, CHANGE_EPOCH);
    this.steadySince = now;
  }

  /**
   * The stored bytes of `key` at `now` (epoch ms): this worker's copy, or LMDB's (borrowed, as
   * CacheStore.peek says), copied to be kept when the cache has been steady long enough.
   */
  get(key: string, now: number): Uint8Array | undefined {
    this.lastCopy = null;
    const epoch = Atomics.load(this.words, CHANGE_EPOCH);
    if (epoch !== this.epoch) {
      this.epoch = epoch;
      this.steadySince = now;
      this.drop();
      this.store.refresh();
    } else if (this.bytes > 0) {
      const held = this.copies.get(key);
      if (held !== undefined) {
        this.lastCopy = held;
        return held.bytes;
      }
    }
    const buf = this.store.peek(key);
    if (buf === undefined || now - this.steadySince < STEADY_MS || buf.length > MAX_ENTRY_BYTES) return buf;
    if (this.bytes + buf.length > MAX_BYTES || this.copies.size >= MAX_ENTRIES) this.drop();
    // lmdb-js's reusable read buffer reports the value's length as `length` but is larger
    // underneath: copied through a view of exactly that length.
    const n = buf.length;
    const copy = new Uint8Array(n);
    copy.set(new Uint8Array(buf.buffer, buf.byteOffset, n));
    const held = new HotCopy(copy);
    this.copies.set(key, held);
    this.bytes += n;
    this.lastCopy = held;
    return copy;
  }

  /** How many entries are held (tests). */
  get size(): number {
    return this.copies.size;
  }

  private drop(): void {
    if (this.copies.size === 0) return;
    this.copies.clear();
    this.bytes = 0;
  }
}
