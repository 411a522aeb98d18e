import type { GatewayConfig } from '../config/types.js';
import { openLmdbCacheStore } from '../cache/lmdb-store.js';
import { CacheRuntime } from '../cache/runtime.js';

/**
 * This worker's response cache: the LMDB store opened with the first generation that has a
 * cached route (never when none has), then kept for the life of the thread, across reloads.
 */
export class WorkerCache {
  private runtime: CacheRuntime | null = null;

  constructor(private readonly shm: SharedArrayBuffer) {}

  /** The runtime for a generation's stages; null when no route caches. Throws when the store cannot open. */
  forConfig(config: GatewayConfig): CacheRuntime | null {
    if (!config.routes.some((r) => r.cache !== null)) return null;
    if (this.runtime === null) {
      const store = openLmdbCacheStore(config.dataDir, config.cache.maxSize, { changes: new Int32Array(this.shm) });
      this.runtime = new CacheRuntime(store, this.shm, config.cache.maxEntrySize);
    }
    this.runtime.maxEntrySize = config.cache.maxEntrySize;
    return this.runtime;
  }

  async close(): Promise<void> {
    const runtime = this.runtime;
    this.runtime = null;
    if (runtime !== null) await runtime.store.close();
  }
}
