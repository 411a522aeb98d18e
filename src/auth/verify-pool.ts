// The verification pool: the one module that names piscina. A pool belongs to the thread that
// made it, so each gateway worker thread that offloads has its own, made on first use.
//
// Why one small pool per worker thread rather than one shared by all: a piscina pool can only
// be used from its own thread, so sharing one would put every verification through the
// supervisor (two more message hops per token). With few cores, a pool of one or two threads
// per worker (auth.pool.threads, default 1) keeps the total small: workers × threads, plus the
// idle ones ending after IDLE_MS.
import { Piscina } from 'piscina';
import type { JWK } from 'jose';
import type { JwtAlgorithm } from './algorithms.js';
import type { ClaimChecks, VerifyResult } from './jwt-verify.js';

/** One verification, as the pool's task (src/tasks/verify-jwt.ts) receives it. */
export interface VerifyTask {
  token: string;
  /** Names the key in the pool thread's own CryptoKey cache. */
  keyId: string;
  jwk: JWK;
  alg: JwtAlgorithm;
  checks: ClaimChecks;
}

export const POOL_FULL = 'full';

const IDLE_MS = 30_000;
const PER_THREAD = 16;
// From dist/ the task is a .js file; under a TypeScript loader (tests importing src/) a .ts one.
const TASK_FILE = new URL(`../tasks/verify-jwt${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url).href;

export class VerifyPool {
  private readonly pool: Piscina<VerifyTask, VerifyResult>;

  constructor(readonly threads: number, readonly maxQueue: number) {
    // A check spends most of its time waiting for WebCrypto (jose's verify runs on libuv's
    // threadpool), so a pool thread takes several at once (PER_THREAD). Atomics off: piscina's
    // Atomics.wait hand-off cost 4x the CPU per task of plain messages in bench/auth-offload
    // on a busy 2-core machine (55 vs 29 µs for an empty task).
    this.pool = new Piscina({
      filename: TASK_FILE, minThreads: 0, maxThreads: threads, maxQueue, idleTimeout: IDLE_MS,
      atomics: 'disabled', concurrentTasksPerWorker: PER_THREAD,
    });
  }

  /**
   * Runs one verification, or answers POOL_FULL at once when `maxQueue` verifications already
   * wait: a flood of tokens (valid or not) then costs each extra request a 503, not an ever
   * longer queue in front of every valid one.
   */
  run(task: VerifyTask): Promise<VerifyResult | typeof POOL_FULL> {
    if (this.pool.queueSize >= this.maxQueue) return Promise.resolve(POOL_FULL);
    return this.pool.run(task).catch((err: Error) => {
      // piscina's own bound, reached between the check above and the queueing.
      if (/queue is at limit/i.test(err.message)) return POOL_FULL;
      throw err;
    });
  }

  /** Ends the threads once the verifications already queued are done. */
  close(): Promise<void> {
    return this.pool.close();
  }
}
