// Figures the supervisor reads itself, each time before /metrics, /routes, /upstreams and SIGUSR2
// are answered. A figure every worker would report alike (a state in shared memory: target
// health, circuits) is read here once: append a sampler to SUPERVISOR_SAMPLERS that calls
// store.set(DEF, labels, value), with DEF in the catalogue (metric-catalogue.ts).
import { readdirSync } from 'node:fs';
import type { GatewayConfig } from '../config/types.js';
import type { JwksStats } from '../auth/jwks-service.js';
import type { RateLimitTableStats } from '../shm/rate-limit-table.js';
import type { UpstreamSnapshot } from './upstream-supervision.js';
import { JWKS_FAILURES, JWKS_FETCHES, JWKS_KEYS, PROCESS_CPU, PROCESS_OPEN_FDS, PROCESS_RSS, PROCESS_START, RATE_LIMIT_SLOTS, CIRCUIT_OPEN, TARGET_UP, RATE_LIMIT_TABLE_EVENTS, WORKERS } from '../observability/metric-catalogue.js';
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
  /** Targets with their health and circuit state, from the shared upstream state. */
  upstreams: readonly UpstreamSnapshot[];
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

/** Target labels as the workers' pool gauges write them: the target's origin. */
const originOf = (url: string): string => {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
};

const sampleUpstreams: SupervisorSampler = (store, state) => {
  for (const u of state.upstreams) {
    for (const t of u.targets) {
      const labels = [u.upstream, originOf(t.url)];
      store.set(TARGET_UP, labels, t.health === 'up' ? 1 : 0);
      store.set(CIRCUIT_OPEN, labels, t.circuit === 'open' ? 1 : 0);
    }
  }
};

export const SUPERVISOR_SAMPLERS: readonly SupervisorSampler[] = [sampleProcess, sampleWorkers, sampleJwks, sampleRateLimits, sampleUpstreams];

export function sampleSupervisor(store: MetricStore, state: SupervisorState): void {
  for (const sample of SUPERVISOR_SAMPLERS) sample(store, state);
}
