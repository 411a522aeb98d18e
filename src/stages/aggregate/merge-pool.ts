// The aggregation pool: the one module of aggregation that names piscina. Like the JWT
// verification pool (src/auth/verify-pool.ts), a pool belongs to the thread that made it, so
// each gateway worker thread that offloads has its own, made on first use; its threads end
// after IDLE_MS without work.
import { Piscina } from 'piscina';
import type { CallBody, CallShape, ComposeResult } from './compose.js';

/** One merge, as the pool's task (src/tasks/compose-aggregate.ts) receives it. */
export interface ComposeTask {
  bodies: CallBody[];
  shapes: readonly CallShape[];
}

/**
 * The task's answer: the merged JSON as UTF-8 bytes, moved back, not copied (piscina moves a
 * top-level result only, hence the bare bytes); or composeBodies' own answer when it failed or
 * left a call out.
 */
export type ComposeTaskResult = Uint8Array | ComposeResult;

const IDLE_MS = 30_000;
const THREADS = 1;
// From dist/ the task is a .js file; under a TypeScript loader (tests importing src/) a .ts one.
const TASK_FILE = new URL(`../../tasks/compose-aggregate${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url).href;

let pool: Piscina<ComposeTask, ComposeTaskResult> | null = null;

/**
 * An ArrayBuffer that is the body's alone, to transfer: a body gathered from one chunk may be a
 * slice of Node's shared allocation pool (Buffer.from of a small chunk), and transferring that
 * would detach the memory of unrelated buffers. Those are copied (they are small: the pool only
 * serves allocations under 4 KiB); large bodies own their memory and move without a copy.
 */
function ownBuffer(body: Uint8Array): Uint8Array {
  if (body.byteOffset === 0 && body.byteLength === body.buffer.byteLength && body.buffer instanceof ArrayBuffer) return body;
  return new Uint8Array(body);
}

/** Merges in this thread's pool, the bodies' memory transferred to the pool thread. */
export function composeInPool(bodies: readonly CallBody[], shapes: readonly CallShape[]): Promise<ComposeTaskResult> {
  pool ??= new Piscina({ filename: TASK_FILE, minThreads: 0, maxThreads: THREADS, idleTimeout: IDLE_MS, atomics: 'disabled' });
  const owned = bodies.map((b) => (b === null ? null : ownBuffer(b)));
  const transferList = owned.flatMap((b) => (b === null ? [] : [b.buffer as ArrayBuffer]));
  return pool.run({ bodies: owned, shapes }, { transferList });
}

/** Ends this thread's pool, if it made one, once queued merges are done. */
export async function closeMergePool(): Promise<void> {
  const p = pool;
  pool = null;
  if (p !== null) await p.close();
}
