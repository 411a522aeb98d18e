// Figures the supervisor reads itself, each time before /metrics, /routes, /upstreams and SIGUSR2
// are answered. A figure every worker would report alike (a state in shared memory: target
// health, circuits) is read here once: append a sampler to SUPERVISOR_SAMPLERS that calls
// store.set(DEF, labels, value), with DEF in the catalogue (metric-catalogue.ts).
import { readdirSync } from 'node:fs';
import type { GatewayConfig } from '../config/types.js';
import type { JwksStats } from '../auth/jwks-service.js';
import type { RateLimitTableStats } from '../shm/rate-limit-table.js';
import { JWKS_FAILURES, JWKS_FETCHES, JWKS_KEYS, PROCESS_CPU, PROCESS_OPEN_FDS, PROCESS_RSS, PROCESS_START, RATE_LIMIT_SLOTS, RATE_LIMIT_TABLE_EVENTS, WORKERS } from '../observability/metric-catalogue.js';
import type { MetricStore } from '../observability/metric-store.js';
import type { WorkerState } from './stats-snapshot.js';

/** What a sampler may read. */
export interface SupervisorState {
  config: GatewayConfig;
  workers: readonly WorkerState[];
  /** The JWKS the supervisor fetches for every worker. */
  jwks: readonly JwksStats[];
  /** The shared rate-limit table's figures since start. */
  rateLimits: RateLimitTableStats;
}

export type SupervisorSampler = (store: MetricStore, state: SupervisorState) => void;

const startSeconds = Math.round(Date.now() / 1000 - process.uptime());

/** Open file descriptors, from /proc (Linux); null elsewhere. */
function openFds(): number | null {
  try {
    // Minus the descriptor readdir itself holds on /proc/self/fd while listing it.
    return readdirSync('/proc/self/fd').length - 1;
  } catch {
    return null;
  }
}

const sampleProcess: SupervisorSampler = (store) => {
  store.set(PROCESS_RSS, [], process.memoryUsage.rss());
  const cpu = process.cpuUsage();
  store.set(PROCESS_CPU, [], (cpu.user + cpu.system) / 1e6);
  store.set(PROCESS_START, [], startSeconds);
  const fds = openFds();
  if (fds !== null) store.set(PROCESS_OPEN_FDS, [], fds);
};

const sampleWorkers: SupervisorSampler = (store, state) => {
  store.set(WORKERS, [], state.workers.filter((w) => w.state === 'serving').length);
};

const sampleJwks: SupervisorSampler = (store, state) => {
  for (const source of state.jwks) {
    store.set(JWKS_FETCHES, [source.uri], source.fetches);
    store.set(JWKS_FAILURES, [source.uri], source.failures);
    store.set(JWKS_KEYS, [source.uri], source.keys);
  }
};

const sampleRateLimits: SupervisorSampler = (store, { rateLimits: t }) => {
  store.set(RATE_LIMIT_SLOTS, ['used'], t.slotsUsed);
  store.set(RATE_LIMIT_SLOTS, ['capacity'], t.capacity);
  store.set(RATE_LIMIT_TABLE_EVENTS, ['reused'], t.reused);
  store.set(RATE_LIMIT_TABLE_EVENTS, ['full'], t.full);
  store.set(RATE_LIMIT_TABLE_EVENTS, ['stuck'], t.stuck);
};

export const SUPERVISOR_SAMPLERS: readonly SupervisorSampler[] = [sampleProcess, sampleWorkers, sampleJwks, sampleRateLimits];

export function sampleSupervisor(store: MetricStore, state: SupervisorState): void {
  for (const sample of SUPERVISOR_SAMPLERS) sample(store, state);
}
