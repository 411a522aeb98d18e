import type { H1Pool } from './h1/pool.js';
import type { SharedTarget } from './shared-target.js';

/** One target of an upstream: its connection pool (keep-alive sockets of this worker), origin and shared state. */
export interface Target {
  origin: string;
  /** Host header value sent to this target. */
  host: string;
  weight: number;
  pool: H1Pool;
  /** Its slot in the upstream-state buffer: health, circuit, in-flight count across the workers. */
  shared: SharedTarget;
}
