import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type pino from 'pino';
import * as C from '../shm/control-layout.js';
import { createCacheShm } from '../shm/cache-layout.js';
import type { JwksUpdate } from '../auth/jwks-messages.js';
import type { UwsBuildName } from '../http/uws-builds.js';
import type { UsageDelta } from '../metering/usage-meter.js';
import type { MetricStore } from '../observability/metric-store.js';
import type { FromSpare, FromWorker, Generation, MetricsDelta, ToWorker, UpstreamAssignment, WorkerBoot, WorkerInit } from '../worker/messages.js';

const WORKER_URL = new URL('../worker/main.js', import.meta.url);
const RESPAWN_WINDOW_MS = 10_000;
const RESPAWN_BURST = 5;
const RESPAWN_BACKOFF_MS = 1_000;
/** How long a metrics flush waits for a worker; one that is late is read from its previous push. */
const FLUSH_TIMEOUT_MS = 1_000;

interface Slot {
  worker: Worker | null;
  deaths: number[];
}

/** A worker message, or the pool's own note that a worker thread ended (it will never reply). */
type PoolEvent = FromWorker | { type: 'exited'; index: number };
const EXITED = Symbol('exited');

/** The supervisor's JWKS service, as the pool sees it (src/auth/jwks-service.ts). */
export interface JwksHooks {
  /** Key sets for a starting worker's WorkerInit. */
  snapshot(): JwksUpdate[];
  /** A worker saw an unknown kid. */
  refetch(uri: string, index: number): void;
}

const NO_JWKS: JwksHooks = { snapshot: () => [], refetch: () => {} };

/**
 * The supervisor's side of the worker threads: starts them, replaces one that dies (with the
 * current generation), broadcasts new generations and collects replies.
 */
export class WorkerPool {
  readonly control = C.createControl();
  /** The response cache's shared words, the same for every worker and spare for the life of the process. */
  readonly cacheShm = createCacheShm();
  private readonly words = new Int32Array(this.control);
  private readonly slots: Slot[] = [];
  private generation: Generation;
  private stopping = false;
  private readonly waiters = new Set<(msg: PoolEvent) => void>();
  /** A thread with its modules loaded, listening on nothing, that takes the slot of the next worker to die. */
  private spare: Worker | null = null;
  private spareReady = false;
  private flushes = 0;

  constructor(
    private readonly count: number,
    private readonly ports: number[],
    generation: Generation,
    private readonly uws: UwsBuildName,
    private readonly log: pino.Logger,
    private readonly faultInjection: boolean,
    /** Where every worker's metrics pushes go. */
    private readonly metrics: MetricStore,
    /** The rate-limit table every worker shares (src/shm/rate-limit-layout.ts). */
    private readonly rateLimits: SharedArrayBuffer,
    /** Health, circuit state, in-flight counts and retry budgets (src/shm/upstream-state-layout.ts). */
    private readonly upstreamState: SharedArrayBuffer,
    private readonly jwks: JwksHooks = NO_JWKS,
    /** Where every worker's usage counts go (metering/usage-store.ts). */
    private readonly usage: (delta: UsageDelta) => void = () => {},
  ) {
    this.generation = generation;
    Atomics.store(this.words, C.CURRENT_GENERATION, generation.id);
  }

  get size(): number {
    return this.count;
  }

  /** Starts every worker; resolves when all listen, rejects with the first listen failure. */
  async start(): Promise<void> {
    const listening = Array.from({ length: this.count }, (_, i) => this.waitFor((m) =>
      (m.type === 'listening' || m.type === 'listen-failed' || m.type === 'exited') && m.index === i, 20_000));
    for (let i = 0; i < this.count; i++) {
      this.slots.push({ worker: null, deaths: [] });
      this.spawn(i, null);
    }
    for (const reply of await Promise.all(listening)) {
      if (reply.type === 'listen-failed') throw new Error(reply.message);
      if (reply.type === 'exited') throw new Error(`worker ${reply.index} exited during start`);
    }
    this.startSpare();
  }

  /** True when every worker is serving the current generation. */
  ready(): boolean {
    const gen = Atomics.load(this.words, C.CURRENT_GENERATION);
    for (let i = 0; i < this.count; i++) {
      if (Atomics.load(this.words, C.workerSlot(i, C.STATE)) !== C.WORKER_STATE_SERVING) return false;
      if (Atomics.load(this.words, C.workerSlot(i, C.APPLIED_GENERATION)) !== gen) return false;
    }
    return !this.stopping;
  }

  /** The spare thread that replaces the next worker to die: still loading its modules, ready, or none. */
  spareState(): 'starting' | 'ready' | 'none' {
    return this.spare === null ? 'none' : this.spareReady ? 'ready' : 'starting';
  }

  workerStates(): { index: number; state: string; generation: number; inFlight: number }[] {
    const names = ['starting', 'serving', 'draining', 'gone'];
    return this.slots.map((_, i) => ({
      index: i,
      state: names[Atomics.load(this.words, C.workerSlot(i, C.STATE))] ?? 'unknown',
      generation: Atomics.load(this.words, C.workerSlot(i, C.APPLIED_GENERATION)),
      inFlight: Atomics.load(this.words, C.workerSlot(i, C.IN_FLIGHT)),
    }));
  }

  /**
   * Sends a new generation to every worker and waits until each applied it. If any worker fails
   * to, the ones that applied it are sent the previous generation back: never half-applied.
   */
  async applyGeneration(next: Generation): Promise<void> {
    const previous = this.generation;
    // Set first: a worker that dies and is replaced during the broadcast starts on `next`.
    this.generation = next;
    Atomics.store(this.words, C.CURRENT_GENERATION, next.id);
    const replies = await this.broadcast({ type: 'generation', generation: next }, (m) =>
      (m.type === 'generation-applied' || m.type === 'generation-failed') && m.generation === next.id, 10_000);
    // A worker that ended mid-broadcast is fine: its replacement starts on this.generation.
    const failed = replies.find((r): r is FromWorker => r !== null && r !== EXITED && r.type === 'generation-failed');
    if (failed === undefined && !replies.includes(null)) return;
    this.generation = previous;
    Atomics.store(this.words, C.CURRENT_GENERATION, previous.id);
    await this.broadcast({ type: 'generation', generation: previous }, (m) =>
      m.type === 'generation-applied' && m.generation === previous.id, 10_000);
    throw new Error(failed?.type === 'generation-failed' ? failed.message : 'a worker did not confirm the new config in time');
  }

  /**
   * Asks every worker to push its metrics now and resolves once each has (or ended, or is late):
   * the store then holds every request finished before the call.
   */
  async flushMetrics(): Promise<void> {
    const flush = ++this.flushes;
    await this.broadcast({ type: 'metrics-flush', flush }, (m) => m.type === 'metrics' && m.flush === flush, FLUSH_TIMEOUT_MS);
  }

  /** True when a worker holds usage counts it has not pushed yet (its USAGE_PENDING word). */
  usagePending(): boolean {
    for (let i = 0; i < this.slots.length; i++) {
      if (this.slots[i]!.worker !== null && Atomics.load(this.words, C.workerSlot(i, C.USAGE_PENDING)) !== 0) return true;
    }
    return false;
  }

  /** Posts to one worker (when live) or every live worker, expecting no reply. */
  notify(msg: ToWorker, index: number | null = null): void {
    this.slots.forEach((s, i) => {
      if (s.worker !== null && (index === null || index === i)) s.worker.postMessage(msg);
    });

  }

  /**
   * A discovered upstream's new targets: sent to every live worker, and kept in the current
   * generation so that a worker started later (a replacement) starts with them.
   */
  setTargets(upstream: string, assignment: UpstreamAssignment): void {
    this.generation = { ...this.generation, assignments: { ...this.generation.assignments, [upstream]: assignment } };
    const msg: ToWorker = { type: 'targets', upstream, assignment };
    for (const s of this.slots) s.worker?.postMessage(msg);
  }

  /** Stops accepting on every worker, waits for in-flight requests (bounded), ends the threads. */
  async drain(timeoutMs: number): Promise<void> {
    this.stopping = true;
    const threads = this.slots.map((s) => s.worker).concat(this.spare).filter((w): w is Worker => w !== null);
    this.spare = null;
    this.spareReady = false;
    const exits = threads.map((w) => new Promise<void>((resolve) => w.once('exit', () => resolve())));
    for (const w of threads) w.postMessage({ type: 'drain', timeoutMs } satisfies ToWorker);
    const hardStop = new Promise<void>((resolve) => setTimeout(resolve, timeoutMs + 5_000).unref());
    await Promise.race([Promise.all(exits), hardStop]);
  }

  private liveCount(): number {
    return this.slots.filter((s) => s.worker !== null).length;
  }

  /**
   * Starts the worker of slot `index`, or hands the slot to the spare when there is one.
   * `diedAt` (performance.now()) when this replaces a worker that died, for the log line.
   */
  private spawn(index: number, diedAt: number | null): void {
    const init: WorkerInit = {
      index, ports: this.ports, generation: this.generation, uws: this.uws, control: this.control, faultInjection: this.faultInjection,
      rateLimits: this.rateLimits,
      jwks: this.jwks.snapshot(),
      upstreamState: this.upstreamState,
      cacheShm: this.cacheShm,
    };
    Atomics.store(this.words, C.workerSlot(index, C.STATE), C.WORKER_STATE_STARTING);
    Atomics.store(this.words, C.workerSlot(index, C.IN_FLIGHT), 0);
    const spare = this.spare;
    this.spare = null;
    this.spareReady = false;
    let worker: Worker;
    if (spare !== null) {
      // Its listeners as a spare (startSpare) give way to those of a worker, below.
      for (const event of ['message', 'exit', 'error']) spare.removeAllListeners(event);
      // Queued by the port until the spare listens for it, should it still be loading.
      spare.postMessage({ type: 'assume', init } satisfies ToWorker);
      worker = spare;
    } else {
      worker = new Worker(WORKER_URL, { workerData: { init, uws: this.uws } satisfies WorkerBoot, stdout: false, stderr: false });
    }
    this.slots[index]!.worker = worker;
    worker.on('message', (msg: FromWorker | FromSpare) => {
      // A spare assigned while still loading says it is ready after it was handed its slot.
      if (msg.type === 'spare-ready') return;
      if (msg.type === 'metrics') {
        this.applyMetrics(index, msg.delta);
        if (msg.usage !== null) this.usage(msg.usage);
      }
      if (msg.type === 'jwks-refetch') {
        this.jwks.refetch(msg.uri, msg.index);
        return;
      }
      if (diedAt !== null && msg.type === 'listening') {
        this.log.info({ worker: index, downMs: Math.round(performance.now() - diedAt), spare: spare !== null }, 'worker replaced: the new thread is serving');
        // The next spare loads once the replacement serves, not while it starts.
        this.startSpare();
      }
      this.emit(msg);
    });
    worker.on('error', (err) => this.log.error({ worker: index, err }, 'worker error'));
    worker.on('exit', (code) => this.onExit(index, worker, code));
  }

  private applyMetrics(index: number, delta: MetricsDelta): void {
    try {
      this.metrics.apply(index, delta);
    } catch (err) {
      // A metric missing from the catalogue is a bug to see, not a reason to stop the supervisor.
      this.log.error({ worker: index, err }, 'metrics push refused');
    }
  }

  private startSpare(): void {
    if (this.spare !== null || this.stopping) return;
    const spare = new Worker(WORKER_URL, { workerData: { init: null, uws: this.uws } satisfies WorkerBoot, stdout: false, stderr: false });
    this.spare = spare;
    spare.on('message', (msg: FromSpare) => {
      if (msg.type === 'spare-ready' && this.spare === spare) this.spareReady = true;
    });
    spare.on('error', (err) => this.log.error({ err }, 'spare worker thread error'));
    spare.on('exit', (code) => {
      if (this.spare !== spare) return;
      this.spare = null;
      this.spareReady = false;
      // Not restarted here (a spare that cannot load would loop): the next replacement starts
      // cold, and a new spare once it serves.
      this.log.error({ code }, 'the spare worker thread exited; a worker that dies is started cold');
    });
  }

  private onExit(index: number, worker: Worker, code: number): void {
    const slot = this.slots[index]!;
    if (slot.worker !== worker) return;
    slot.worker = null;
    Atomics.store(this.words, C.workerSlot(index, C.STATE), C.WORKER_STATE_GONE);
    this.metrics.workerGone(index);
    this.emit({ type: 'exited', index });
    if (this.stopping) return;
    const diedAt = performance.now();
    const now = Date.now();
    slot.deaths = slot.deaths.filter((t) => now - t < RESPAWN_WINDOW_MS);
    slot.deaths.push(now);
    // A worker that keeps dying at once is restarted with a pause, so a crash loop cannot spin.
    const delay = slot.deaths.length > RESPAWN_BURST ? RESPAWN_BACKOFF_MS : 0;
    this.log.error({ worker: index, code, restartInMs: delay }, 'worker exited unexpectedly; replacing it');
    setTimeout(() => {
      if (!this.stopping) this.spawn(index, diedAt);
    }, delay).unref();
  }

  private emit(event: PoolEvent): void {
    for (const w of [...this.waiters]) w(event);
  }

  private waitFor(match: (m: PoolEvent) => boolean, timeoutMs: number): Promise<PoolEvent> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error('timed out waiting for a worker'));
      }, timeoutMs);
      // A wait must never keep a stopping process alive.
      timer.unref();
      const waiter = (msg: PoolEvent): void => {
        if (!match(msg)) return;
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve(msg);
      };
      this.waiters.add(waiter);
    });
  }

  /**
   * Posts to every live worker and collects one matching reply from each: EXITED for a worker
   * that ended before replying, null for one that did not reply in time.
   */
  private broadcast(msg: ToWorker, match: (m: FromWorker) => boolean, timeoutMs: number): Promise<(FromWorker | typeof EXITED | null)[]> {
    const live = this.slots.map((s, i) => ({ s, i })).filter(({ s }) => s.worker !== null);
    const replies = live.map(({ i }) => this.waitFor((m) => m.index === i && (m.type === 'exited' || match(m)), timeoutMs)
      .then((m) => (m.type === 'exited' ? EXITED : m), () => null));
    for (const { s } of live) s.worker!.postMessage(msg);
    return Promise.all(replies);
  }
}
