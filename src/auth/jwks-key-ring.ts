// A worker's copy of one JWKS, kept current by the supervisor's 'jwks' messages. An unknown kid
// asks the supervisor for a refetch, which it runs at most once per cooldown for all workers.
import { selectFromSet, KeyEntry, type KeyChoice, type KeyRing } from './key-ring.js';
import type { JwksUpdate } from './jwks-messages.js';
import type { JwtAlgorithm } from './algorithms.js';

/** How long a request with an unknown kid waits for the supervisor's answer to a refetch. */
const REFETCH_WAIT_MS = 3_000;

export class JwksKeyRing implements KeyRing {
  loaded = false;
  version = 0;
  private keys: KeyEntry[] = [];
  private nextRefetchAt = 0;
  /** Requests waiting for the answer to this worker's refetch request; null when none is out. */
  private waiting: (() => void)[] | null = null;

  constructor(readonly uri: string, private readonly ask: (uri: string) => void) {}

  apply(update: JwksUpdate): void {
    this.nextRefetchAt = update.nextRefetchAt;
    if (update.keys !== null && (!this.loaded || update.version !== this.version)) {
      // Keys already imported stay imported: entries are matched by their content.
      const old = new Map(this.keys.map((k) => [k.id, k]));
      this.keys = update.keys.map((jwk) => {
        const entry = new KeyEntry(jwk);
        return old.get(entry.id) ?? entry;
      });
      this.version = update.version;
      this.loaded = true;
    }
    const waiting = this.waiting;
    this.waiting = null;
    if (waiting !== null) for (const wake of waiting) wake();
  }

  select(kid: unknown, alg: JwtAlgorithm): KeyChoice {
    return selectFromSet(this.keys, kid, alg);
  }

  /**
   * Resolves once the supervisor answered a refetch request (or after REFETCH_WAIT_MS), or at
   * once while the shared cooldown runs: then a flood of unknown kids costs no message at all.
   * Returns whether a request was made or joined (false: in cooldown, nothing will change).
   */
  refetch(now: number): Promise<boolean> | false {
    if (this.waiting === null) {
      if (now < this.nextRefetchAt) return false;
      this.waiting = [];
      this.ask(this.uri);
    }
    const waiting = this.waiting;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const at = waiting.indexOf(wake);
        if (at >= 0) waiting.splice(at, 1);
        // The answer was lost (the supervisor busy or restarting): ask again next time.
        if (this.waiting === waiting && waiting.length === 0) this.waiting = null;
        resolve(true);
      }, REFETCH_WAIT_MS);
      const wake = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      waiting.push(wake);
    });
  }
}
