import { randomBytes } from 'node:crypto';
import { createRateLimitBuffer } from '../shm/rate-limit-layout.js';

/**
 * The gateway's one rate-limit table, created at start and handed to every worker; reloads keep
 * it. The key hash is seeded at random, so clients cannot pick keys that collide.
 */
export function createRateLimits(capacity: number): SharedArrayBuffer {
  const seeds = randomBytes(8);
  return createRateLimitBuffer(capacity, seeds.readInt32LE(0), seeds.readInt32LE(4));
}
