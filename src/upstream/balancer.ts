/**
 * Smooth weighted round-robin (the nginx algorithm), unrolled once into a schedule so that
 * picking a target per request is one array read and one increment.
 * Weights [1, 2] give the schedule [1, 0, 1]: spread out, never bursty.
 */
export function weightedSchedule(weights: readonly number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  const current = weights.map(() => 0);
  const schedule: number[] = [];
  for (let n = 0; n < total; n++) {
    let best = 0;
    for (let i = 0; i < weights.length; i++) {
      current[i]! += weights[i]!;
      if (current[i]! > current[best]!) best = i;
    }
    current[best]! -= total;
    schedule.push(best);
  }
  return schedule;
}

export class RoundRobin<T> {
  private readonly schedule: number[];
  private next = 0;
  constructor(private readonly items: readonly T[], weights: readonly number[]) {
    this.schedule = weightedSchedule(weights);
  }
  pick(): T {
    const i = this.schedule[this.next]!;
    this.next = this.next + 1 === this.schedule.length ? 0 : this.next + 1;
    return this.items[i]!;
  }
}
