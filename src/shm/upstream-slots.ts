// Resets of upstream-state slots for a new owner (supervisor only; layout in upstream-state-layout.ts).
import { clearWindow } from './sliding-window.js';
import * as L from './upstream-state-layout.js';

/** Prepares a target slot for a new owner; the epoch is written last. */
export function resetTargetSlot(views: L.UpstreamStateViews, slot: number, epoch: number): void {
  const w = views.words;
  const base = L.targetBase(slot);
  Atomics.store(w, base + L.T_IN_FLIGHT, L.inFlightWord(epoch, 0));
  Atomics.store(w, base + L.T_HEALTH, L.HEALTH_UP);
  Atomics.store(w, base + L.T_DOWNS, 0);
  Atomics.store(w, base + L.T_FAIL_STREAK, 0);
  Atomics.store(w, base + L.T_CIRCUIT, L.CIRCUIT_CLOSED);
  Atomics.store(w, base + L.T_OPENINGS, 0);
  Atomics.store(views.times, L.reopenAtIndex(slot), 0n);
  clearWindow(w, base + L.T_BUCKETS);
  Atomics.store(w, base + L.T_EPOCH, epoch);
}

export function resetUpstreamSlot(words: Int32Array, slot: number, epoch: number): void {
  const base = L.upstreamBase(slot);
  clearWindow(words, base + L.U_BUCKETS);
  Atomics.store(words, base + L.U_EPOCH, epoch);
}
