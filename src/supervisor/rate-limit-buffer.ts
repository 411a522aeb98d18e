import { randomBytes } from 'node:crypto';
import { createRateLimitBuffer } from '../shm/rate-limit-layout.js';
import { RateLimitTable } from '../shm/rate-limit-table.js';

/**
 * The gateway's one rate-limit table, created at start and handed to every worker; reloads keep
 * it. The key hash is seeded at random, so clients cannot pick keys that collide.
 */
export function createRateLimits(capacity: number): SharedArrayBuffer {
  const seeds = randomBytes(8);
  return createRateLimitBuffer(capacity, seeds.readInt32LE(0), seeds.readInt32LE(4));
}

export interface RateLimitTableSummary {
  capacity: number;
  /** Slots holding a key now. */
  slotsUsed: number;
  /** Idle slots given to a new key during the interval (the table was full). */
  reused: number;
  /** Requests answered 503 during the interval: no idle slot in their key's probe window. */
  full: number;
  /** Requests answered 503 because a slot stayed marked as changing owner (expected to stay 0). */
  stuck: number;
}

/** The table's figures for the SIGUSR2 snapshot, as changes since the previous snapshot. */
export class RateLimitTableStats {
  private readonly table: RateLimitTable;
  private last = { reused: 0, full: 0, stuck: 0 };

  constructor(sab: SharedArrayBuffer) {
    this.table = new RateLimitTable(sab);
  }

  snapshot(): RateLimitTableSummary {
    const now = this.table.stats();
    const summary = {
      capacity: now.capacity,
      slotsUsed: now.slotsUsed,
      reused: now.reused - this.last.reused,
      full: now.full - this.last.full,
      stuck: now.stuck - this.last.stuck,
    };
    this.last = { reused: now.reused, full: now.full, stuck: now.stuck };
    return summary;
  }
}
