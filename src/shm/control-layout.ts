// Layout of the control SharedArrayBuffer shared by the supervisor and every worker
// (Int32 words). Each slot names its only writer; the other side only reads.
//
//   word 0            MAGIC                     (supervisor, once)
//   word 1            CURRENT_GENERATION        (supervisor: the generation workers must serve)
//   word 2..3         reserved
//   then per worker i (WORKER_SLOTS words each, see workerSlot):
//     +0 APPLIED_GENERATION   (worker: generation it answers new requests with; 0 = none yet)
//     +1 IN_FLIGHT            (worker: requests started and not finished)
//     +2 STATE                (worker, and supervisor when it replaces a dead worker)
//     +3 USAGE_PENDING        (worker: 1 while it holds usage counts not pushed yet)
export const CONTROL_MAGIC = 0x54474331; // "TGC1"
export const MAGIC = 0;
export const CURRENT_GENERATION = 1;
export const HEADER_WORDS = 4;
export const WORKER_SLOTS = 4;
export const APPLIED_GENERATION = 0;
export const IN_FLIGHT = 1;
export const STATE = 2;
export const USAGE_PENDING = 3;
export const MAX_WORKERS = 256;

export const WORKER_STATE_STARTING = 0;
export const WORKER_STATE_SERVING = 1;
export const WORKER_STATE_DRAINING = 2;
export const WORKER_STATE_GONE = 3;

export function workerSlot(index: number, field: number): number {
  return HEADER_WORDS + index * WORKER_SLOTS + field;
}

export function createControl(): SharedArrayBuffer {
  const sab = new SharedArrayBuffer((HEADER_WORDS + MAX_WORKERS * WORKER_SLOTS) * 4);
  const words = new Int32Array(sab);
  words[MAGIC] = CONTROL_MAGIC;
  for (let i = 0; i < MAX_WORKERS; i++) words[workerSlot(i, STATE)] = WORKER_STATE_GONE;
  return sab;
}
