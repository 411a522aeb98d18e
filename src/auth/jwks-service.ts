// The supervisor's JWKS fetcher: one per process, so that however many workers see an unknown
// kid, the identity provider gets at most one request per cooldown. Workers hold copies of the
// key sets, sent after every fetch ('jwks' messages); they ask for a refetch with 'jwks-refetch'.
import type pino from 'pino';
import type { GatewayConfig } from '../config/types.js';
import { fetchJwks } from './jwks-fetch.js';
import type { JwksUpdate } from './jwks-messages.js';
import type { JWK } from 'jose';

const DAY_MS = 24 * 3600_000;
/** How long start-up and a reload wait for a new JWKS before going on without it. */
const FIRST_FETCH_WAIT_MS = 5_000;

interface Source {
  uri: string;
  refreshMs: number;
  cooldownMs: number;
  keys: JWK[] | null;
  version: number;
  /** Epoch ms before which no refetch runs for unknown kids (the cooldown shared by all workers). */
  nextRefetchAt: number;
  fetching: Promise<void> | null;
  timer: NodeJS.Timeout | null;
  failuresInARow: number;
  fetches: number;
  failures: number;
  lastError: string | null;
  lastFetchedAt: number | null;
}

export interface JwksStats {
  uri: string;
  keys: number;
  fetches: number;
  failures: number;
  lastError: string | null;
  lastFetchedAt: string | null;
}

export class JwksService {
  private readonly sources = new Map<string, Source>();
  private closed = false;

  /**
   * `send` posts an update to every worker (index null) or one.
   */
  constructor(private readonly log: pino.Logger, private send: (update: JwksUpdate, index: number | null) => void = () => {}) {}

  setSender(send: (update: JwksUpdate, index: number | null) => void): void {
    this.send = send;
  }

  /**
   * Starts fetching every jwksUri of `config` not fetched yet, and waits (bounded) for those
   * first fetches: workers then start with keys. A source that fails keeps retrying on its own.
   */
  async add(config: GatewayConfig): Promise<void> {
    const fresh: Promise<void>[] = [];
    for (const p of Object.values(config.auth.jwt)) {
      if (p.jwksUri === null) continue;
      const known = this.sources.get(p.jwksUri);
      if (known !== undefined) {
        known.refreshMs = p.jwksRefresh;
        known.cooldownMs = p.jwksCooldown;
        continue;
      }
      const source: Source = {
        uri: p.jwksUri, refreshMs: p.jwksRefresh, cooldownMs: p.jwksCooldown, keys: null, version: 0, nextRefetchAt: 0,
        fetching: null, timer: null, failuresInARow: 0, fetches: 0, failures: 0, lastError: null, lastFetchedAt: null,
      };
      this.sources.set(p.jwksUri, source);
      fresh.push(this.fetch(source));
    }
    if (fresh.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(fresh), new Promise<void>((r) => { timer = setTimeout(r, FIRST_FETCH_WAIT_MS); })]);
    clearTimeout(timer);
  }

  /** Stops fetching key sets no provider of `config` uses any more. */
  prune(config: GatewayConfig): void {
    const used = new Set(Object.values(config.auth.jwt).map((p) => p.jwksUri));
    for (const [uri, s] of this.sources) {
      if (used.has(uri)) continue;
      if (s.timer !== null) clearTimeout(s.timer);
      this.sources.delete(uri);
    }
  }

  snapshot(): JwksUpdate[] {
    return [...this.sources.values()].map(updateOf);
  }

  /**
   * A worker saw an unknown kid. Fetches now unless the cooldown runs (then only that worker
   * hears back, with when the next fetch may run) or a fetch is already out (whose result
   * every worker gets).
   */
  refetch(uri: string, index: number): void {
    const s = this.sources.get(uri);
    if (s === undefined || s.fetching !== null) return;
    if (Date.now() < s.nextRefetchAt) {
      this.send(updateOf(s), index);
      return;
    }
    void this.fetch(s);
  }

  stats(): JwksStats[] {
    return [...this.sources.values()].map((s) => ({
      uri: s.uri, keys: s.keys?.length ?? 0, fetches: s.fetches, failures: s.failures, lastError: s.lastError,
      lastFetchedAt: s.lastFetchedAt === null ? null : new Date(s.lastFetchedAt).toISOString(),
    }));
  }

  close(): void {
    this.closed = true;
    for (const s of this.sources.values()) if (s.timer !== null) clearTimeout(s.timer);
  }

  private fetch(s: Source): Promise<void> {
    if (s.timer !== null) clearTimeout(s.timer);
    s.timer = null;
    s.nextRefetchAt = Date.now() + s.cooldownMs;
    const run = (async () => {
      s.fetches++;
      const result = await fetchJwks(s.uri);
      if (this.closed || this.sources.get(s.uri) !== s) return;
      let nextInMs: number;
      if (result.ok) {
        if (s.keys === null || JSON.stringify(s.keys) !== JSON.stringify(result.keys)) {
          s.keys = result.keys;
          s.version++;
          this.log.info({ jwksUri: s.uri, keys: result.keys.length, skipped: result.skipped }, 'JWKS loaded');
        }
        s.failuresInARow = 0;
        s.lastFetchedAt = Date.now();
        // Cache-Control max-age is followed, bounded: never faster than the cooldown, at least daily.
        nextInMs = Math.min(Math.max(result.maxAgeMs ?? s.refreshMs, s.cooldownMs), DAY_MS);
      } else {
        s.failures++;
        s.failuresInARow++;
        s.lastError = result.error;
        // Cached keys keep working; retries back off from the cooldown up to the refresh interval.
        nextInMs = Math.min(s.cooldownMs * 2 ** Math.min(s.failuresInARow - 1, 16), Math.max(s.refreshMs, s.cooldownMs));
        this.log.error({ jwksUri: s.uri, error: result.error, failures: s.failures, keptKeys: s.keys?.length ?? 0, retryInMs: nextInMs }, 'JWKS fetch failed; keeping the cached keys');
      }
      s.timer = setTimeout(() => void this.fetch(s), nextInMs);
      s.timer.unref();
      this.send(updateOf(s), null);
    })();
    s.fetching = run.finally(() => {
      s.fetching = null;
    });
    return s.fetching;
  }
}

function updateOf(s: Source): JwksUpdate {
  return { uri: s.uri, keys: s.keys, version: s.version, nextRefetchAt: s.nextRefetchAt };
}
