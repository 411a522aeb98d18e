import { existsSync } from 'node:fs';
import type { GatewayConfig } from '../config/types.js';
import { resourceKey, resourcePrefix } from '../cache/cache-key.js';
import { isEntry, KIND_ANSWER } from '../cache/entry-format.js';
import { Evictor, type EvictorLog } from '../cache/evictor.js';
import { cacheDirectory, openLmdbCacheStore } from '../cache/lmdb-store.js';
import type { CacheStore } from '../cache/store.js';
import { normalizePath } from '../routing/normalize-path.js';
import { PURGE_EPOCH } from '../shm/cache-layout.js';

export type PurgeRequest = { prefix: string } | { key: string; host: string | null };

export class PurgeError extends Error {}

/**
 * The supervisor's side of the response cache: it opens the LMDB environment first in the process
 * (at start, or at the reload that adds the first cached route), so that its options are the ones
 * every worker's open joins; it runs the evictor; and it purges for the admin API.
 */
export class SupervisorCache {
  private store: CacheStore | null = null;
  private evictor: Evictor | null = null;
  private dataDir = '';
  private readonly words: Int32Array;

  constructor(shm: SharedArrayBuffer, private readonly log: EvictorLog) {
    this.words = new Int32Array(shm);
  }

  /** Opens the store when some route caches (throws CacheOpenError), and applies cache.maxSize. */
  apply(config: GatewayConfig): void {
    this.dataDir = config.dataDir;
    if (this.store === null && config.routes.some((r) => r.cache !== null)) {
      this.store = openLmdbCacheStore(config.dataDir, config.cache.maxSize, { checkFiles: true, changes: this.words });
      this.evictor = new Evictor(this.store, this.words, this.log, config.cache.maxSize);
      this.evictor.start();
    }
    if (this.evictor !== null) this.evictor.maxSize = config.cache.maxSize;
  }

  /**
   * Removes the entries a purge names and answers how many: `prefix` (of the path and query, every
   * host) or `key` (one resource: path and query, query order free; every host or one; every
   * variant). Every worker sees the removal from its next request on: the commit is visible to all
   * readers, and the epoch bump makes each drop its current read snapshot.
   */
  async purge(req: PurgeRequest): Promise<number> {
    const prefix = purgePrefix(req);
    let store = this.store;
    if (store === null) {
      // No route caches now; an earlier configuration may have left entries on disk.
      if (this.dataDir === '' || !existsSync(cacheDirectory(this.dataDir))) return 0;
      store = openLmdbCacheStore(this.dataDir, 64 * 1024 * 1024, { checkFiles: true, changes: this.words });
      this.store = store;
    }
    // Counted: the answers removed (a Vary marker is bookkeeping, removed with its answers).
    const removed = await store.removePrefix(prefix, (value) => isEntry(value, KIND_ANSWER));
    Atomics.add(this.words, PURGE_EPOCH, 1);
    return removed;
  }

  async close(): Promise<void> {
    this.evictor?.stop();
    const store = this.store;
    this.store = null;
    if (store !== null) await store.close();
  }
}

function purgePrefix(req: PurgeRequest): string {
  if ('prefix' in req) {
    if (!req.prefix.startsWith('/')) throw new PurgeError('prefix must start with "/"');
    const at = req.prefix.indexOf('?');
    const path = at < 0 ? req.prefix : req.prefix.slice(0, at);
    return normalised(path) + (at < 0 ? '' : req.prefix.slice(at));
  }
  if (!req.key.startsWith('/')) throw new PurgeError('key must be a path (and query), starting with "/"');
  const at = req.key.indexOf('?');
  const path = normalised(at < 0 ? req.key : req.key.slice(0, at));
  const query = at < 0 ? '' : req.key.slice(at + 1);
  return resourcePrefix(resourceKey(path, query), req.host === null ? null : req.host.toLowerCase());
}

/** The path as requests are keyed (normalised); a trailing "/" of a prefix is kept. */
function normalised(path: string): string {
  const result = normalizePath(path);
  if (result === null) throw new PurgeError(`the path ${JSON.stringify(path)} is malformed or escapes the root`);
  return result;
}
