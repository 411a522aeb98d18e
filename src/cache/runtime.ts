import { PURGE_EPOCH } from '../shm/cache-layout.js';
import type { CacheStore } from './store.js';
import { HotEntries } from './hot-entries.js';

/**
 * What one worker gives its cache stages: the process's LMDB store, the shared cache words
 * (shm/cache-layout.ts) and the top-level bounds. Built by the worker's wiring, shared by every
 * route and kept across reloads.
 */
export class CacheRuntime {
  readonly words: Int32Array;
  /** Copies of the entries this worker serves while the cache is steady (hot-entries.ts). */
  readonly hot: HotEntries;
  private seenEpoch: number;

  constructor(
    readonly store: CacheStore,
    shm: SharedArrayBuffer,
    /** cache.maxEntrySize; a reload may change it. */
    public maxEntrySize: number,
  ) {
    this.words = new Int32Array(shm);
    this.hot = new HotEntries(this.words, store, Date.now());
    this.seenEpoch = Atomics.load(this.words, PURGE_EPOCH);
  }

  /**
   * Called before each lookup. LMDB reads go through a snapshot that lmdb-js renews once per event
   * turn; after a purge (the supervisor bumps the epoch once it committed) the snapshot is
   * dropped at once, so no request that starts after the purge answered sees a removed entry.
   */
  sync(): void {
    const epoch = Atomics.load(this.words, PURGE_EPOCH);
    if (epoch === this.seenEpoch) return;
    this.seenEpoch = epoch;
    this.store.refresh();
  }

  /** The purge epoch a fill started in: a fill that finishes after a purge does not store its answer. */
  epoch(): number {
    return Atomics.load(this.words, PURGE_EPOCH);
  }
}
