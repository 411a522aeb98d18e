import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import { MAX_WORKERS } from '../shm/control-layout.js';
import { CHANGE_EPOCH } from '../shm/cache-layout.js';
import { cacheFilesProblem } from './lmdb-files.js';
import type { CacheStore, IndexedKey, IndexRecord } from './store.js';

// The response cache's LMDB environment: `<dataDir>/cache/` (data.mdb, lock.mdb), two named
// databases: `entries` (key -> the stored answer, entry-format.ts) and `index` (key -> the
// INDEX_BYTES record the evictor reads without touching the answers).
//
// One environment per process, opened by every thread that uses it. LMDB forbids opening one
// environment twice in a process (a second open and close breaks its POSIX file locks): lmdb-js
// keeps a process-wide table of open environments keyed by the file's device and inode, so the
// supervisor's open() and each worker's return the same MDB_env with a reference count, and the
// last close() really closes it. The first open in the process (the supervisor's, at start,
// before any worker) decides the options below; later opens inherit them.
//
// Single writer: LMDB lets one write transaction run at a time per environment, guarded by a
// mutex in lock.mdb that every thread and process takes. Nothing here writes synchronously on a
// request thread: puts and removes are lmdb-js's asynchronous writes, batched per event turn and
// committed on lmdb-js's own write thread, which waits for that mutex. A worker's event loop never
// blocks on another thread's commit; its put resolves once the commit is visible to everyone.
//
// Reader slots: lmdb-js opens environments with MDB_NOTLS, so a slot belongs to a read
// transaction, not to a thread. Each thread keeps one read transaction, renewed at its first read
// of an event turn and reset a timer tick later (plus one per open cursor, only during a scan), so
// a process needs about one slot per thread: MAX_READERS leaves room for every worker, every
// spare, the supervisor and scans. A worker that ends (drain at shutdown, a reload does not
// reopen) closes its handle; a thread that dies has its transactions aborted by lmdb-js's
// per-thread cleanup hook, which gives its slot back. Slots of a crashed process are reclaimed by
// LMDB itself (mdb_reader_check at open).
const MAX_READERS = 2 * MAX_WORKERS + 64;

/** The index record: storedAt f64, keepUntil f64, size u32, hash u32. */
const INDEX_BYTES = 24;

/**
 * The map is address space, not memory or disk (the file grows with the pages written). Four
 * times maxSize leaves room for copy-on-write pages and free pages that readers still pin
 * between evictions; past it, lmdb-js's LMDB grows the map inside the write transaction that
 * needs it (mdb_page_alloc), so a write never fails with MDB_MAP_FULL.
 */
function mapSizeFor(maxSize: number): number {
  return Math.max(64 * 1024 * 1024, 4 * maxSize);
}

export function cacheDirectory(dataDir: string): string {
  return join(dataDir, 'cache');
}

export class CacheOpenError extends Error {
  readonly code = 'TG_CACHE_OPEN';
}

/**
 * Opens (creating it if needed) the cache environment under dataDir. Throws CacheOpenError naming
 * the directory when it cannot be created, written or read as LMDB. `checkFiles`: the first open
 * in the process (the supervisor's) checks the files first (lmdb-files.ts), since a damaged
 * data.mdb crashes the process that opens it instead of failing the open.
 */
export function openLmdbCacheStore(dataDir: string, maxSize: number, opts: { checkFiles?: boolean; changes?: Int32Array } = {}): CacheStore {
  const path = cacheDirectory(dataDir);
  let root: RootDatabase;
  let entries: Database<Buffer, string>;
  let index: Database<Buffer, string>;
  const hint = '(a directory the gateway can write; a corrupted data.mdb can be deleted: the cache starts empty)';
  if (opts.checkFiles === true) {
    const problem = cacheFilesProblem(path);
    if (problem !== null) throw new CacheOpenError(`cache: cannot open the LMDB environment in ${path}: ${problem} ${hint}`);
  }
  try {
    mkdirSync(path, { recursive: true });
    root = open({ path, maxDbs: 4, maxReaders: MAX_READERS, mapSize: mapSizeFor(maxSize) });
    entries = root.openDB<Buffer, string>({ name: 'entries', encoding: 'binary' });
    index = root.openDB<Buffer, string>({ name: 'index', encoding: 'binary' });
  } catch (err) {
    const reason = (err as Error).message.replace(/\s+/g, ' ').trim();
    throw new CacheOpenError(`cache: cannot open the LMDB environment in ${path}: ${reason} ${hint}`);
  }
  return new LmdbCacheStore(path, root, entries, index, opts.changes ?? null);
}

class LmdbCacheStore implements CacheStore {
  constructor(
    readonly path: string,
    private readonly root: RootDatabase,
    private readonly entries: Database<Buffer, string>,
    private readonly index: Database<Buffer, string>,
    /** The shared cache words (shm/cache-layout.ts): CHANGE_EPOCH is bumped after every committed change; null: none. */
    private readonly changes: Int32Array | null,
  ) {}

  /** A change was committed: every worker's in-memory copies (hot-entries.ts) are dropped. */
  private changed(): void {
    if (this.changes !== null) Atomics.add(this.changes, CHANGE_EPOCH, 1);
  }

  peek(key: string): Buffer | undefined {
    return this.entries.getBinaryFast(key);
  }

  refresh(): void {
    this.entries.resetReadTxn();
  }

  async write(key: string, value: Uint8Array, rec: IndexRecord): Promise<void> {
    const record = Buffer.alloc(INDEX_BYTES);
    record.writeDoubleLE(rec.storedAt, 0);
    record.writeDoubleLE(rec.keepUntil, 8);
    record.writeUInt32LE(Math.min(rec.size, 0xffffffff), 16);
    record.writeUInt32LE(rec.hash >>> 0, 20);
    // Both puts are queued in this event turn, so lmdb-js commits them in one transaction: an
    // entry is never visible without its index record. lmdb-js queues a pointer to each value,
    // not a copy: the buffers stay referenced (this frame) and unchanged until the commit.
    const stored = this.entries.put(key, value as Buffer);
    const indexed = this.index.put(key, record);
    try {
      await Promise.all([stored, indexed]);
    } finally {
      this.changed();
    }
  }

  async removePrefix(prefix: string, counts?: (value: Uint8Array) => boolean): Promise<number> {
    try {
      return await this.removePrefixOnce(prefix, counts);
    } finally {
      this.changed();
    }
  }

  private removePrefixOnce(prefix: string, counts?: (value: Uint8Array) => boolean): Promise<number> {
    // One write transaction: the keys found and removed are those of one snapshot, and readers
    // see all of them gone at once.
    return this.root.transaction(() => {
      const keys: string[] = [];
      let counted = 0;
      for (const key of this.entries.getKeys({ start: prefix })) {
        if (!key.startsWith(prefix)) break;
        keys.push(key);
        const value = counts === undefined ? undefined : this.entries.getBinaryFast(key);
        if (value === undefined || counts!(value)) counted++;
      }
      for (const key of keys) {
        this.entries.remove(key);
        this.index.remove(key);
      }
      return counted;
    });
  }

  keysWithPrefix(prefix: string): string[] {
    const keys: string[] = [];
    for (const key of this.entries.getKeys({ start: prefix })) {
      if (!key.startsWith(prefix)) break;
      keys.push(key);
    }
    return keys;
  }

  async removeKeys(keys: readonly string[]): Promise<void> {
    const removals: Promise<boolean>[] = [];
    for (const key of keys) removals.push(this.entries.remove(key), this.index.remove(key));
    try {
      await Promise.all(removals);
    } finally {
      this.changed();
    }
  }

  scanIndex(): IndexedKey[] {
    return this.readIndex(this.index.getRange({}), null, Infinity);
  }

  scanIndexBatch(after: string | null, limit: number): IndexedKey[] {
    // The range starts at `after` itself (still there, or not): one more, and it is skipped.
    const range = after === null ? this.index.getRange({ limit }) : this.index.getRange({ start: after, limit: limit + 1 });
    return this.readIndex(range, after, limit);
  }

  private readIndex(range: Iterable<{ key: string; value: Buffer }>, skip: string | null, limit: number): IndexedKey[] {
    const out: IndexedKey[] = [];
    for (const { key, value } of range) {
      if (out.length === limit) break;
      if (key === skip || value.length < INDEX_BYTES) continue;
      out.push({
        key,
        storedAt: value.readDoubleLE(0),
        keepUntil: value.readDoubleLE(8),
        size: value.readUInt32LE(16),
        hash: value.readUInt32LE(20),
      });
    }
    return out;
  }

  usedBytes(): number {
    return pagesInUse(this.entries.getStats()) + pagesInUse(this.index.getStats());
  }

  close(): Promise<void> {
    return this.root.close();
  }
}

interface DbStats {
  pageSize: number;
  treeBranchPageCount: number;
  treeLeafPageCount: number;
  overflowPages: number;
}

function pagesInUse(stats: unknown): number {
  const s = stats as DbStats;
  return (s.treeBranchPageCount + s.treeLeafPageCount + s.overflowPages) * s.pageSize;
}
