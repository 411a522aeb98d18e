import { Worker } from 'node:worker_threads';
import type pino from 'pino';
import * as C from '../shm/control-layout.js';
import type { FromWorker, Generation, ToWorker, WorkerInit, WorkerStats } from '../worker/messages.js';

const WORKER_URL = new URL('../worker/main.js', import.meta.url);
const RESPAWN_WINDOW_MS = 10_000;
const RESPAWN_BURST = 5;
const RESPAWN_BACKOFF_MS = 1_000;

interface Slot {
  worker: Worker | null;
  deaths: number[];
}

/** A worker message, or the pool's own note that a worker thread ended (it will never reply). */
type PoolEvent = FromWorker | { type: 'exited'; index: number };
const EXITED = Symbol('exited');

export interface StatsReply {
  index: number;
  inFlight: number;
  stats: WorkerStats;
}

/**
 * The supervisor's side of the worker threads: starts them, replaces one that dies (with the
 * current generation), broadcasts new generations and collects replies.
 */
export class WorkerPool {
  readonly control = C.createControl();
  private readonly words = new Int32Array(this.control);
  private readonly slots: Slot[] = [];
  private generation: Generation;
  private stopping = false;
  private readonly waiters = new Set<(msg: PoolEvent) => void>();

  constructor(
    private readonly count: number,
    private readonly port: number,
    generation: Generation,
    private readonly log: pino.Logger,
    private readonly faultInjection: boolean,
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
      this.spawn(i);
    }
    for (const reply of await Promise.all(listening)) {
      if (reply.type === 'listen-failed') throw new Error(reply.message);
      if (reply.type === 'exited') throw new Error(`worker ${reply.index} exited during start`);
    }
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

  async stats(): Promise<StatsReply[]> {
    const replies = await this.broadcast({ type: 'stats' }, (m) => m.type === 'stats', 2_000);
    return replies.filter((r): r is Extract<FromWorker, { type: 'stats' }> => r !== null && r !== EXITED && r.type === 'stats');
  }

  /** Stops accepting on every worker, waits for in-flight requests (bounded), ends the threads. */
  async drain(timeoutMs: number): Promise<void> {
    this.stopping = true;
    const exits = this.slots.map((s) => s.worker === null ? Promise.resolve() : new Promise<void>((resolve) => s.worker!.once('exit', () => resolve())));
    for (const s of this.slots) s.worker?.postMessage({ type: 'drain', timeoutMs } satisfies ToWorker);
    const hardStop = new Promise<void>((resolve) => setTimeout(resolve, timeoutMs + 5_000).unref());
    await Promise.race([Promise.all(exits), hardStop]);
  }

  private liveCount(): number {
    return this.slots.filter((s) => s.worker !== null).length;
  }

  private spawn(index: number): void {
    const init: WorkerInit = { index, port: this.port, generation: this.generation, control: this.control, faultInjection: this.faultInjection };
    Atomics.store(this.words, C.workerSlot(index, C.STATE), C.WORKER_STATE_STARTING);
    Atomics.store(this.words, C.workerSlot(index, C.IN_FLIGHT), 0);
    const worker = new Worker(WORKER_URL, { workerData: init, stdout: false, stderr: false });
    this.slots[index]!.worker = worker;
    worker.on('message', (msg: FromWorker) => this.emit(msg));
    worker.on('error', (err) => this.log.error({ worker: index, err }, 'worker error'));
    worker.on('exit', (code) => this.onExit(index, worker, code));
  }

  private onExit(index: number, worker: Worker, code: number): void {
    const slot = this.slots[index]!;
    if (slot.worker !== worker) return;
    slot.worker = null;
    Atomics.store(this.words, C.workerSlot(index, C.STATE), C.WORKER_STATE_GONE);
    this.emit({ type: 'exited', index });
    if (this.stopping) return;
    const now = Date.now();
    slot.deaths = slot.deaths.filter((t) => now - t < RESPAWN_WINDOW_MS);
    slot.deaths.push(now);
    // A worker that keeps dying at once is restarted with a pause, so a crash loop cannot spin.
    const delay = slot.deaths.length > RESPAWN_BURST ? RESPAWN_BACKOFF_MS : 0;
    this.log.error({ worker: index, code, restartInMs: delay }, 'worker exited unexpectedly; replacing it');
    setTimeout(() => {
      if (!this.stopping) this.spawn(index);
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
