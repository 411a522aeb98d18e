// Every message that crosses the supervisor <-> worker boundary. postMessage drops class
// identity, so these are plain data shapes only.
import type { GatewayConfig } from '../config/types.js';
import type { UwsBuildName } from '../http/uws-builds.js';

/** One config generation: the frozen config and its route table, built once by the supervisor. */
export interface Generation {
  id: number;
  config: GatewayConfig;
  routeTable: SharedArrayBuffer;
  /** Every upstream's slots in the upstream-state buffer and its targets (static or discovered). */
  assignments: Record<string, UpstreamAssignment>;
}

/** A target and its slot in the upstream-state buffer (src/shm/upstream-state-layout.ts). */
export interface TargetAssignment {
  /** The target's origin. */
  url: string;
  weight: number;
  slot: number;
  epoch: number;
}

/** An upstream's own slot (retry budget) and its targets. */
export interface UpstreamAssignment {
  slot: number;
  epoch: number;
  targets: TargetAssignment[];
}

export interface WorkerInit {
  index: number;
  /** The port every worker binds (SO_REUSEPORT); the supervisor resolves port 0 beforehand. */
  port: number;
  generation: Generation;
  /** The uWebSockets.js build the supervisor chose; every worker loads the same one. */
  uws: UwsBuildName;
  /** Control words shared with the supervisor; layout in src/shm/control-layout.ts. */
  control: SharedArrayBuffer;
  /** Health, circuit state, in-flight counts and retry budgets, shared by every worker; src/shm/upstream-state-layout.ts. */
  upstreamState: SharedArrayBuffer;
  /**
   * Test-only (TOLLGATE_FAULT_INJECTION=1), never set in production: requests may inject faults
   * (x-tollgate-fault header) and every answer names its worker (x-tollgate-worker).
   */
  faultInjection: boolean;
}

/** A thread's workerData: its assignment, or null for a spare that waits for an 'assume'. */
export interface WorkerBoot {
  init: WorkerInit | null;
  /** The build a spare loads while it waits (the one its slot's WorkerInit will name). */
  uws: UwsBuildName;
}

export type ToWorker =
  | { type: 'assume'; init: WorkerInit }
  | { type: 'generation'; generation: Generation }
  | { type: 'drain'; timeoutMs: number }
  /** DNS discovery changed an upstream's targets: applied at once, without a new generation. */
  | { type: 'targets'; upstream: string; assignment: UpstreamAssignment }
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

/** A spare thread has loaded its modules; it has no slot (index) until it is sent an 'assume'. */
export interface FromSpare {
  type: 'spare-ready';
}

/** A worker thread's own runtime figures for the interval since its previous stats reply. */
export interface WorkerRuntimeStats {
  /** V8 heap of this thread's isolate (the process RSS is shared by every thread). */
  heapUsedMiB: number;
  heapTotalMiB: number;
  externalMiB: number;
  /** How late the event loop ran a 10 ms timer: quantiles and maximum over the interval. */
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  /** Share of the interval the event loop was busy (0..1). */
  eventLoopUtilization: number;
}

export type FromWorker =
  | { type: 'listening'; index: number; port: number }
  | { type: 'listen-failed'; index: number; message: string }
  | { type: 'generation-applied'; index: number; generation: number }
  | { type: 'generation-failed'; index: number; generation: number; message: string }
  | { type: 'drained'; index: number; inFlight: number }
  | { type: 'stats'; index: number; inFlight: number; stats: WorkerStats; runtime: WorkerRuntimeStats };
