// What the cache stage, the evictor and the admin purge ask of the storage: a small interface over
// the one LMDB environment (lmdb-store.ts is its only implementation, and the only file that
// names the library).

/** The few numbers the evictor reads per entry without touching the entry itself. */
export interface IndexRecord {
  /** Epoch ms the entry was stored (its LRU age when it was never served since). */
  storedAt: number;
  /** Epoch ms after which the entry can serve nothing any more (see entry-format.ts). */
  keepUntil: number;
  /** Bytes of the key and value, an estimate of what removing it frees. */
  size: number;
  /** The key's hash (access-clock slot). */
  hash: number;
}

export interface IndexedKey extends IndexRecord {
  key: string;
}

export interface CacheStore {
  /** Where the environment lives (named in errors and logs). */
  readonly path: string;
  /**
   * The stored bytes of `key`, borrowed: valid only until the next read of this store on this
   * thread (no copy; LMDB's reusable read buffer or the memory map itself).
   */
  peek(key: string): Buffer | undefined;
  /** Drops this thread's read snapshot: the next read sees every commit made so far by any thread. */
  refresh(): void;
  /** Stores an entry with its index record; resolves once committed (visible to every thread). */
  write(key: string, value: Uint8Array, index: IndexRecord): Promise<void>;
  /**
   * Removes the entries whose key starts with `prefix`; resolves with how many of them `counts`
   * (given each value, borrowed) says to count, or all when it is absent.
   */
  removePrefix(prefix: string, counts?: (value: Uint8Array) => boolean): Promise<number>;
  /** The keys that start with `prefix`, from this thread's snapshot. */
  keysWithPrefix(prefix: string): string[];
  /**
   * Removes these entries (eviction, invalidation); resolves once committed. Queued like writes,
   * so a write queued after it on this thread lands after it (a removal transaction would not).
   */
  removeKeys(keys: readonly string[]): Promise<void>;
  /** Every entry's index record, read from one snapshot. */
  scanIndex(): IndexedKey[];
  /** Up to `limit` index records in key order, from the first key after `after` (null: the first). */
  scanIndexBatch(after: string | null, limit: number): IndexedKey[];
  /** Bytes of the pages holding entries and index (what cache.maxSize bounds). */
  usedBytes(): number;
  close(): Promise<void>;
}
