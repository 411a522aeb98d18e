// Every message that crosses the supervisor <-> worker boundary. postMessage drops class
// identity, so these are plain data shapes only.
import type { AuthCounters } from '../auth/counters.js';
import type { JwksUpdate } from '../auth/jwks-messages.js';
import type { GatewayConfig } from '../config/types.js';
import type { UwsBuildName } from '../http/uws-builds.js';
import type { UsageDelta } from '../metering/usage-meter.js';
import type { PluginVersions } from '../plugins/load.js';

/** One config generation: the frozen config and its route table, built once by the supervisor. */
export interface Generation {
  id: number;
  config: GatewayConfig;
  routeTable: SharedArrayBuffer;
  /** Every upstream's slots in the upstream-state buffer and its targets (static or discovered). */
  assignments: Record<string, UpstreamAssignment>;
  /** The quota table every generation shares (src/shm/quota-table.ts), and each consumer's slot in it. */
  quotas: GenerationQuotas;
  /**
   * Each plugin's module version (a hash of its file) as the supervisor checked it: a worker imports
   * that version, so re-applying a generation (a rollback) reuses its module even if the file changed since.
   */
  pluginVersions: PluginVersions;
}

export interface GenerationQuotas {
  table: SharedArrayBuffer;
  slots: Record<string, number>;
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
  /** The port of each listener (config.listen, in order) every worker binds (SO_REUSEPORT); the supervisor resolves port 0 beforehand. */
  ports: number[];
  generation: Generation;
  /** The uWebSockets.js build the supervisor chose; every worker loads the same one. */
  uws: UwsBuildName;
  /** Control words shared with the supervisor; layout in src/shm/control-layout.ts. */
  control: SharedArrayBuffer;
  /** The response cache's shared words (claims, access clock, purge epoch); src/shm/cache-layout.ts. */
  cacheShm: SharedArrayBuffer;
  /** The rate-limit table, one for the gateway's lifetime (reloads keep it); src/shm/rate-limit-layout.ts. */
  rateLimits: SharedArrayBuffer;
  /** Health, circuit state, in-flight counts and retry budgets, shared by every worker; src/shm/upstream-state-layout.ts. */
  upstreamState: SharedArrayBuffer;
  /**
   * Test-only (TOLLGATE_FAULT_INJECTION=1), never set in production: requests may inject faults
   * (x-tollgate-fault header) and every answer names its worker (x-tollgate-worker).
   */
  faultInjection: boolean;
  /** The JWKS key sets the supervisor holds now; later ones come as 'jwks' messages. */
  jwks: JwksUpdate[];
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
  /** Push metrics now; the answer is a 'metrics' message carrying the same `flush` id. */
  | { type: 'metrics-flush'; flush: number }
  /** A JWKS was fetched (or a refetch was refused during the cooldown): its keys and cooldown. */
  | { type: 'jwks'; update: JwksUpdate }
  /** DNS discovery changed an upstream's targets: applied at once, without a new generation. */
  | { type: 'targets'; upstream: string; assignment: UpstreamAssignment };

/**
 * A series a worker numbers the first time it pushes it: later pushes name it by `id` only, so a
 * push is a few typed arrays of numbers, which the supervisor reads without allocating.
 */
export interface SeriesDef {
  id: number;
  kind: 'counter' | 'summary' | 'gauge';
  name: string;
  /** Its label values, in the order the metric declares its labels. */
  labels: string[];
}

/**
 * What a worker counted since its previous push (src/observability/metrics-recorder.ts). The
 * layout of the arrays is metrics-recorder.ts's; metric-store.ts reads it.
 */
export interface MetricsDelta {
  /** The recorder that numbered the series: a new one (a replacement thread) numbers them anew. */
  source: number;
  /** Series that appear for the first time in this push. */
  series: SeriesDef[];
  /** [id, increment] per counter that moved. */
  counters: Float64Array;
  /**
   * Per summary that recorded values: id, count, the number of histogram buckets that follow,
   * then [bucket index, count] for each (latency-histogram.ts). Int32: read back as small
   * integers, where a Float64Array element is a new heap number on each read.
   */
  summaries: Int32Array;
  /** The sum of the values (microseconds) of each summary in `summaries`, in the same order. */
  sums: Float64Array;
  /** [id, value] for every gauge now; replaces the worker's previous set. */
  gauges: Float64Array;
}

/** A spare thread has loaded its modules; it has no slot (index) until it is sent an 'assume'. */
export interface FromSpare {
  type: 'spare-ready';
}

export type FromWorker =
  | { type: 'listening'; index: number; ports: number[] }
  | { type: 'listen-failed'; index: number; message: string }
  | { type: 'generation-applied'; index: number; generation: number }
  | { type: 'generation-failed'; index: number; generation: number; message: string }
  | { type: 'drained'; index: number; inFlight: number }
  /** Sent every second with `flush` 0, and in answer to a 'metrics-flush' with its id. */
  | { type: 'metrics'; index: number; flush: number; delta: MetricsDelta; usage: UsageDelta | null }
  /** A token named a kid the worker's copy of this JWKS lacks: fetch it again if the cooldown allows. */
  | { type: 'jwks-refetch'; index: number; uri: string };
