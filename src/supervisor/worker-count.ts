import os from 'node:os';
import { MAX_WORKERS } from '../shm/control-layout.js';

/**
 * How many worker threads to start. `auto` is the available cores, but never more than the
 * shared control block has slots for; a number is already within 1..MAX_WORKERS (the config
 * schema and --workers refuse others).
 */
export function workerCount(wanted: number | 'auto', cores = os.availableParallelism()): number {
  return wanted === 'auto' ? Math.min(cores, MAX_WORKERS) : wanted;
}
