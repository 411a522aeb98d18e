// How a request finds its target when an upstream has a balancing mode, health checks, a circuit
// breaker or retries (a plain round-robin upstream uses balancer.ts's RoundRobin alone). Which
// picker an upstream gets is decided once, from its config; each skips targets that are down or
// whose circuit is open, and on a retry prefers a target not tried yet.
import { weightedSchedule } from './balancer.js';
import { HashRing, hash32 } from './hash-ring.js';
import { PROBE, REFUSE } from './shared-target.js';
import type { Target } from './target.js';

export type BalanceMode = 'round-robin' | 'least-requests' | 'consistent-hash';

export interface Picker {
  /**
   * A target that may take the request now, or null when none may. `key` is the request's hash
   * key (consistent-hash only), `tried` the targets earlier tries of this request went to.
   */
  pick(key: string, tried: readonly Target[] | null, now: number): Target | null;
  /** Set by pick: the target returned was admitted as its open circuit's one probe. */
  probe: boolean;
}

export function createPicker(mode: BalanceMode, targets: readonly Target[]): Picker {
  switch (mode) {
    case 'round-robin': return new RoundRobinPicker(targets);
    case 'least-requests': return new LeastRequestsPicker(targets);
    case 'consistent-hash': return new HashPicker(targets);
  }
}

abstract class PickerBase implements Picker {
  probe = false;
  constructor(protected readonly targets: readonly Target[]) {}
  abstract pick(key: string, tried: readonly Target[] | null, now: number): Target | null;

  /** Claims the target through its circuit breaker (an open circuit admits one probe per node). */
  protected admit(t: Target, now: number): boolean {
    const admission = t.shared.admit(now);
    this.probe = admission === PROBE;
    return admission !== REFUSE;
  }
}

/** Weighted round-robin over the targets that may take requests. */
class RoundRobinPicker extends PickerBase {
  private readonly schedule: number[];
  private next = 0;

  constructor(targets: readonly Target[]) {
    super(targets);
    this.schedule = weightedSchedule(targets.map((t) => t.weight));
  }

  pick(_key: string, tried: readonly Target[] | null, now: number): Target | null {
    const schedule = this.schedule;
    const n = schedule.length;
    // First the targets not tried yet; then, on a retry, a tried one rather than none.
    for (let pass = tried === null ? 1 : 0; pass < 2; pass++) {
      for (let k = 0; k < n; k++) {
        const at = this.next + k < n ? this.next + k : this.next + k - n;
        const t = this.targets[schedule[at]!]!;
        if (pass === 0 && tried!.includes(t)) continue;
        if (!t.shared.eligible(now) || !this.admit(t, now)) continue;
        // A retry leaves the rotation where it was: the target it lands on keeps its own turn.
        if (tried === null) this.next = at + 1 === n ? 0 : at + 1;
        return t;
      }
    }
    return null;
  }
}

/**
 * The target with the fewest requests in flight across every worker of the node, relative to its
 * weight; ties go round-robin (the scan starts one target further each time).
 */
class LeastRequestsPicker extends PickerBase {
  private rotation = 0;

  pick(_key: string, tried: readonly Target[] | null, now: number): Target | null {
    const n = this.targets.length;
    if (n === 0) return null;
    const start = this.rotation;
    this.rotation = start + 1 === n ? 0 : start + 1;
    let refused: Target[] | null = null;
    for (let pass = tried === null ? 1 : 0; pass < 2; pass++) {
      for (;;) {
        let best: Target | null = null;
        let bestScore = Infinity;
        for (let k = 0; k < n; k++) {
          const t = this.targets[start + k < n ? start + k : start + k - n]!;
          if ((pass === 0 && tried!.includes(t)) || (refused !== null && refused.includes(t)) || !t.shared.eligible(now)) continue;
          const score = t.shared.inFlight() / t.weight;
          if (score < bestScore) {
            best = t;
            bestScore = score;
          }
        }
        if (best === null) break;
        if (this.admit(best, now)) return best;
        (refused ??= []).push(best); // another worker took its probe first
      }
    }
    return null;
  }
}

/** consistent-hash: the key's owner on the ring, or the next target along it that may take the request. */
class HashPicker extends PickerBase {
  private readonly ring: HashRing;
  /** Visit marks for one walk: a target is looked at once per pick (stamp instead of clearing). */
  private readonly visited: Int32Array;
  private stamp = 0;

  constructor(targets: readonly Target[]) {
    super(targets);
    this.ring = new HashRing(targets);
    this.visited = new Int32Array(targets.length);
  }

  pick(key: string, tried: readonly Target[] | null, now: number): Target | null {
    const n = this.targets.length;
    const { hashes, owners } = this.ring;
    const points = hashes.length;
    if (n === 0) return null;
    // The marks are Int32: start over before the stamp would pass what they can hold.
    if (this.stamp === 0x7fffffff) {
      this.visited.fill(0);
      this.stamp = 0;
    }
    const stamp = ++this.stamp;
    let fallback: Target | null = null;
    let seen = 0;
    let p = this.ring.firstPoint(hash32(key));
    for (let k = 0; k < points && seen < n; k++, p = p + 1 === points ? 0 : p + 1) {
      const index = owners[p]!;
      if (this.visited[index] === stamp) continue;
      this.visited[index] = stamp;
      seen++;
      const t = this.targets[index]!;
      if (!t.shared.eligible(now)) continue;
      if (tried !== null && tried.includes(t)) {
        fallback ??= t;
        continue;
      }
      if (this.admit(t, now)) return t;
    }
    return fallback !== null && this.admit(fallback, now) ? fallback : null;
  }
}
