import { Worker } from 'node:worker_threads';
import type pino from 'pino';
import * as C from '../shm/control-layout.js';
import type { FromWorker, Generation, ToWorker, WorkerInit, WorkerRouteStats } from '../worker/messages.js';

const WORKER_URL = new URL('../worker/main.js', import.meta.url);
const RESPAWN_WINDOW_MS = 10_000;
const RESPAWN_BURST = 5;
const RESPAWN_BACKOFF_MS = 1_000;

interface Slot {
  worker: Worker | null;
  deaths: number[];
}

export interface StatsReply {
  index: number;
  inFlight: number;
  routes: WorkerRouteStats[];
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
  private readonly waiters = new Set<(msg: FromWorker) => void>();

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
      (m.type === 'listening' || m.type === 'listen-failed') && m.index === i, 20_000));
    for (let i = 0; i < this.count; i++) {
      this.slots.push({ worker: null, deaths: [] });
      this.spawn(i);
    }
    for (const reply of await Promise.all(listening)) {
      if (reply.type === 'listen-failed') throw new Error(reply.message);
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
    Atomics.store(this.words, C.CURRENT_GENERATION, next.id);
    const replies = await this.broadcast({ type: 'generation', generation: next }, (m) =>
      (m.type === 'generation-applied' || m.type === 'generation-failed') && m.generation === next.id, 10_000);
    const failed = replies.find((r) => r.type === 'generation-failed');
    if (failed === undefined && replies.length === this.liveCount()) {
      this.generation = next;
      return;
    }
    Atomics.store(this.words, C.CURRENT_GENERATION, previous.id);
    await this.broadcast({ type: 'generation', generation: previous }, (m) =>
      m.type === 'generation-applied' && m.generation === previous.id, 10_000);
    throw new Error(failed?.type === 'generation-failed' ? failed.message : 'a worker did not confirm the new config in time');
  }

  async stats(): Promise<StatsReply[]> {
    const replies = await this.broadcast({ type: 'stats' }, (m) => m.type === 'stats', 2_000);
    return replies.filter((r): r is Extract<FromWorker, { type: 'stats' }> => r.type === 'stats');
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
    worker.on('message', (msg: FromWorker) => {
      for (const w of [...this.waiters]) w(msg);
    });
    worker.on('error', (err) => this.log.error({ worker: index, err }, 'worker error'));
    worker.on('exit', (code) => this.onExit(index, worker, code));
  }

  private onExit(index: number, worker: Worker, code: number): void {
    const slot = this.slots[index]!;
    if (slot.worker !== worker) return;
    slot.worker = null;
    Atomics.store(this.words, C.workerSlot(index, C.STATE), C.WORKER_STATE_GONE);
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

  private waitFor(match: (m: FromWorker) => boolean, timeoutMs: number): Promise<FromWorker> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error('timed out waiting for a worker'));
      }, timeoutMs);
      const waiter = (msg: FromWorker): void => {
        if (!match(msg)) return;
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve(msg);
      };
      this.waiters.add(waiter);
    });
  }

  /** Posts to every live worker and collects one matching reply from each (missing ones dropped at the timeout). */
  private broadcast(msg: ToWorker, match: (m: FromWorker) => boolean, timeoutMs: number): Promise<FromWorker[]> {
    const live = this.slots.map((s, i) => ({ s, i })).filter(({ s }) => s.worker !== null);
    const replies = live.map(({ i }) => this.waitFor((m) => match(m) && 'index' in m && m.index === i, timeoutMs).catch(() => null));
    for (const { s } of live) s.worker!.postMessage(msg);
    return Promise.all(replies).then((all) => all.filter((r): r is FromWorker => r !== null));
  }
}
