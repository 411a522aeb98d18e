/** One route's requests refused by a rate limit (429) on this worker since the last snapshot. */
export interface LimitedCounter {
  limited: number;
}

/**
 * The rate-limit stages' per-route counters on one worker. A route's cell is looked up once, when
 * its chain is compiled, and kept by route id across reloads; a refusal costs one increment.
 */
export class RateLimitCounters {
  private readonly cells = new Map<string, LimitedCounter>();

  of(route: string): LimitedCounter {
    let cell = this.cells.get(route);
    if (cell === undefined) {
      cell = { limited: 0 };
      this.cells.set(route, cell);
    }
    return cell;
  }

  /** Routes with refusals since the previous call, and their counts; starts a new interval. */
  snapshot(): { route: string; limited: number }[] {
    const out: { route: string; limited: number }[] = [];
    for (const [route, cell] of this.cells) {
      if (cell.limited === 0) continue;
      out.push({ route, limited: cell.limited });
      cell.limited = 0;
    }
    return out;
  }
}
