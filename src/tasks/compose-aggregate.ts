// piscina task: one aggregate merge in a pool thread (src/stages/aggregate/merge-pool.ts). Thin:
// the merge is src/stages/aggregate/compose.ts, the same code a worker thread runs inline.
import { Piscina } from 'piscina';
import { composeBodies } from '../stages/aggregate/compose.js';
import type { ComposeTask, ComposeTaskResult } from '../stages/aggregate/merge-pool.js';

const encoder = new TextEncoder();

export default function compose(task: ComposeTask): ComposeTaskResult {
  const result = composeBodies(task.bodies, task.shapes);
  // A partial answer is rare: its JSON comes back as a string, with the flag beside it.
  if (!result.ok || result.partial) return result;
  // Encoded here, off the worker thread, and moved back (piscina moves a top-level result only,
  // hence the bare bytes for success): the worker sends them as they are.
  return Piscina.move(encoder.encode(result.json)) as Uint8Array;
}
