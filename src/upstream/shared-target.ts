// A worker's view of one target's slot in the upstream-state buffer (shm/upstream-state-layout.ts):
// health, circuit breaker and in-flight count, which every worker of the node reads and writes.
import type { Logger } from '../observability/logger.js';
import * as L from '../shm/upstream-state-layout.js';
import { bucketId, clearWindow, countSample, sumWindow, type WindowSums } from '../shm/sliding-window.js';

export interface BreakerSettings {
  errorRate: number;
  minRequests: number;
  bucketMs: number;
  cooldownMs: number;
}

/** What an upstream's config turns on for its targets (compiled once per upstream). */
export interface TargetPolicy {
  /** healthCheck is set: a target marked down gets no requests. */
  checkHealth: boolean;
  /** Failures in a row in real traffic that mark a target down; 0 = off. */
  passiveFailures: number;
  breaker: BreakerSettings | null;
}

export const REFUSE = 0;
export const ADMIT = 1;
/** Admitted as the one probe of an open circuit. */
export const PROBE = 2;
export type Admission = typeof REFUSE | typeof ADMIT | typeof PROBE;

const sums: WindowSums = { count: 0, marked: 0 };

/** The whole millisecond (shared clock, as REOPEN_AT holds it) `ms` after `now`. */
const until = (now: number, ms: number): bigint => BigInt(Math.ceil(now + ms));

export class SharedTarget {
  private readonly words: Int32Array;
  private readonly times: BigInt64Array;
  private readonly baseMs: number;
  private readonly base: number;
  private readonly reopenAt: number;
  private readonly tag: number;

  constructor(
    views: L.UpstreamStateViews,
    readonly slot: number,
    readonly epoch: number,
    private readonly policy: TargetPolicy,
    private readonly log: Logger,
    private readonly labels: { upstream: string; target: string },
  ) {
    this.words = views.words;
    this.times = views.times;
    this.baseMs = views.baseMs;
    this.base = L.targetBase(slot);
    this.reopenAt = L.reopenAtIndex(slot);
    this.tag = epoch & L.EPOCH_TAG_MASK;
  }

  healthy(): boolean {
    return Atomics.load(this.words, this.base + L.T_HEALTH) === L.HEALTH_UP;
  }

  circuit(): number {
    return Atomics.load(this.words, this.base + L.T_CIRCUIT);
  }

  /** Whether the target may take a request now, without claiming anything (no side effect). */
  eligible(now: number): boolean {
    if (this.policy.checkHealth && !this.healthy()) return false;
    if (this.policy.breaker === null || this.circuit() === L.CIRCUIT_CLOSED) return true;
    return BigInt(Math.floor(now)) >= Atomics.load(this.times, this.reopenAt);
  }

  /**
   * Lets a request through the circuit breaker. A closed circuit admits; an open or half-open one
   * refuses until its REOPEN_AT, then admits exactly one probe per node: the worker whose
   * compareExchange moves REOPEN_AT on wins it (the others read the new time and refuse). A probe
   * that never reports (its worker died) is replaced one cooldown later.
   */
  admit(now: number): Admission {
    const breaker = this.policy.breaker;
    if (breaker === null || this.circuit() === L.CIRCUIT_CLOSED) return ADMIT;
    const at = Atomics.load(this.times, this.reopenAt);
    if (BigInt(Math.floor(now)) < at) return REFUSE;
    if (Atomics.compareExchange(this.times, this.reopenAt, at, until(now, breaker.cooldownMs)) !== at) return REFUSE;
    // Only the OPEN -> HALF_OPEN move logs: a replacement probe finds it half-open already.
    if (Atomics.compareExchange(this.words, this.base + L.T_CIRCUIT, L.CIRCUIT_OPEN, L.CIRCUIT_HALF_OPEN) === L.CIRCUIT_OPEN) {
      this.log.info({ ...this.labels, circuit: 'half-open' }, 'circuit half-open: one probe request goes through');
    }
    return PROBE;
  }

  /** Requests in flight to this target across the workers (least-requests). */
  inFlight(): number {
    const word = Atomics.load(this.words, this.base + L.T_IN_FLIGHT);
    return word >>> L.COUNT_BITS === this.tag ? word & L.COUNT_MASK : 0;
  }

  /**
   * Counts a request in flight; false when the slot now belongs to another target (this worker's
   * generation is draining) and nothing was counted. compareExchange on the tagged word: a plain
   * add could land on a count the supervisor just reset for a new owner.
   */
  acquire(): boolean {
    const at = this.base + L.T_IN_FLIGHT;
    for (;;) {
      const word = Atomics.load(this.words, at);
      if (word >>> L.COUNT_BITS !== this.tag || (word & L.COUNT_MASK) === L.COUNT_MASK) return false;
      if (Atomics.compareExchange(this.words, at, word, word + 1) === word) return true;
    }
  }

  release(): void {
    const at = this.base + L.T_IN_FLIGHT;
    for (;;) {
      const word = Atomics.load(this.words, at);
      if (word >>> L.COUNT_BITS !== this.tag || (word & L.COUNT_MASK) === 0) return;
      if (Atomics.compareExchange(this.words, at, word, word - 1) === word) return;
    }
  }

  /**
   * The outcome of one call: `ok` is an answer below 500; a failure is a connect error, a reset,
   * a timeout or a 5xx answer. `probe` when the call was the circuit's probe.
   */
  record(ok: boolean, probe: boolean, now: number): void {
    const w = this.words;
    // A draining generation's call to a target whose slot has moved on counts for nobody.
    if (Atomics.load(w, this.base + L.T_EPOCH) !== this.epoch) return;
    if (this.policy.passiveFailures > 0) this.passive(ok);
    const breaker = this.policy.breaker;
    if (breaker === null) return;
    if (probe) {
      this.settleProbe(ok, now, breaker);
      return;
    }
    const start = this.base + L.T_BUCKETS;
    const id = bucketId(now, this.baseMs, breaker.bucketMs);
    countSample(w, start, id, !ok);
    if (ok || this.circuit() !== L.CIRCUIT_CLOSED) return;
    sumWindow(w, start, id, sums);
    if (sums.count < breaker.minRequests || sums.marked < breaker.errorRate * sums.count) return;
    // REOPEN_AT first: a worker that sees OPEN must never read the time of an earlier opening.
    Atomics.store(this.times, this.reopenAt, until(now, breaker.cooldownMs));
    if (Atomics.compareExchange(w, this.base + L.T_CIRCUIT, L.CIRCUIT_CLOSED, L.CIRCUIT_OPEN) === L.CIRCUIT_CLOSED) {
      Atomics.add(w, this.base + L.T_OPENINGS, 1);
      this.log.warn({
        ...this.labels, circuit: 'open', failed: sums.marked, requests: sums.count, cooldownMs: breaker.cooldownMs,
      }, 'circuit opened: the target gets no requests until a probe succeeds');
    }
  }

  private passive(ok: boolean): void {
    const w = this.words;
    const at = this.base + L.T_FAIL_STREAK;
    if (ok) {
      // Load first: most calls succeed, and a store on every one would bounce the cache line between cores.
      if (Atomics.load(w, at) !== 0) Atomics.store(w, at, 0);
      return;
    }
    const streak = Atomics.add(w, at, 1) + 1;
    if (streak < this.policy.passiveFailures) return;
    // One worker wins UP -> DOWN and logs; the streak restarts for the next time it is up.
    if (Atomics.compareExchange(w, this.base + L.T_HEALTH, L.HEALTH_UP, L.HEALTH_DOWN) === L.HEALTH_UP) {
      Atomics.add(w, this.base + L.T_DOWNS, 1);
      Atomics.store(w, at, 0);
      this.log.warn({ ...this.labels, health: 'down', failures: streak }, 'target marked down: failures in a row in real traffic');
    }
  }

  private settleProbe(ok: boolean, now: number, breaker: BreakerSettings): void {
    const w = this.words;
    if (ok) {
      // Old failures must not reopen it at once: the window starts empty.
      clearWindow(w, this.base + L.T_BUCKETS);
      if (Atomics.compareExchange(w, this.base + L.T_CIRCUIT, L.CIRCUIT_HALF_OPEN, L.CIRCUIT_CLOSED) === L.CIRCUIT_HALF_OPEN) {
        this.log.info({ ...this.labels, circuit: 'closed' }, 'circuit closed: the probe succeeded');
      }
      return;
    }
    Atomics.store(this.times, this.reopenAt, until(now, breaker.cooldownMs));
    if (Atomics.compareExchange(w, this.base + L.T_CIRCUIT, L.CIRCUIT_HALF_OPEN, L.CIRCUIT_OPEN) === L.CIRCUIT_HALF_OPEN) {
      Atomics.add(w, this.base + L.T_OPENINGS, 1);
      this.log.warn({ ...this.labels, circuit: 'open', cooldownMs: breaker.cooldownMs }, 'circuit opened again: the probe failed');
    }
  }
}
