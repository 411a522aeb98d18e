// Every message that crosses the supervisor <-> worker boundary. postMessage drops class
// identity, so these are plain data shapes only.
import type { GatewayConfig } from '../config/types.js';

/** One config generation: the frozen config and its route table, built once by the supervisor. */
export interface Generation {
  id: number;
  config: GatewayConfig;
  routeTable: SharedArrayBuffer;
}

export interface WorkerInit {
  index: number;
  /** The port every worker binds (SO_REUSEPORT); the supervisor resolves port 0 beforehand. */
  port: number;
  generation: Generation;
  /** Control words shared with the supervisor; layout in src/shm/control-layout.ts. */
  control: SharedArrayBuffer;
  /** Lets tests crash a worker on purpose (x-tollgate-fault header); never set in production. */
  faultInjection: boolean;
}

export type ToWorker =
  | { type: 'generation'; generation: Generation }
  | { type: 'drain'; timeoutMs: number }
  | { type: 'stats' };

/** Answers by status class. */
export interface StatusCounts {
  '1xx': number;
  '2xx': number;
  '3xx': number;
  '4xx': number;
  '5xx': number;
}

/** One route's requests on one worker since the previous snapshot. */
export interface WorkerRouteStats {
  route: string;
  requests: number;
  statuses: StatusCounts;
  /** Request durations in microseconds: an hdr-histogram-js compressed base64 histogram. */
  latency: string;
}

/** One upstream's calls on one worker since the previous snapshot. */
export interface WorkerUpstreamStats {
  upstream: string;
  requests: number;
  /** Calls that got no answer (connect error, timeout, reset). */
  failed: number;
  /** Status classes of the answers that came. */
  statuses: StatusCounts;
  /** Time to the answer's head (or the failure) in microseconds, encoded as `latency` above. */
  latency: string;
}

export interface WorkerStats {
  routes: WorkerRouteStats[];
  upstreams: WorkerUpstreamStats[];
}

export type FromWorker =
  | { type: 'listening'; index: number; port: number }
  | { type: 'listen-failed'; index: number; message: string }
  | { type: 'generation-applied'; index: number; generation: number }
  | { type: 'generation-failed'; index: number; generation: number; message: string }
  | { type: 'drained'; index: number; inFlight: number }
  | { type: 'stats'; index: number; inFlight: number; stats: WorkerStats };
