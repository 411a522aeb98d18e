import type { UpstreamConfig } from '../config/types.js';
import type { Logger } from '../observability/logger.js';
import type { UpstreamStateViews } from '../shm/upstream-state-layout.js';
import type { TargetAssignment, UpstreamAssignment } from '../worker/messages.js';
import { RoundRobin } from './balancer.js';
import { H1Pool } from './h1/pool.js';
import { createPicker, type Picker } from './pickers.js';
import { RetryBudget } from './retry-budget.js';
import { SharedTarget, type TargetPolicy } from './shared-target.js';
import type { Target } from './target.js';

export type { Target };

/** What every upstream of a worker shares: the node's upstream-state buffer and the logger. */
export interface UpstreamEnv {
  state: UpstreamStateViews;
  log: Logger;
}

/** Static targets, round-robin, and no health check, circuit breaker or retry: picked without shared state. */
export function isPlainUpstream(config: UpstreamConfig): boolean {
  return config.discover === null && config.balance === 'round-robin' && config.retry === null
    && config.healthCheck === null && config.circuitBreaker === null;
}

function policyOf(config: UpstreamConfig): TargetPolicy {
  const breaker = config.circuitBreaker;
  return {
    checkHealth: config.healthCheck !== null,
    passiveFailures: config.healthCheck?.passiveFailures ?? 0,
    breaker: breaker === null ? null : {
      errorRate: breaker.errorRate,
      minRequests: breaker.minRequests,
      // The window's ten buckets (shm/sliding-window.ts).
      bucketMs: Math.max(1, Math.round(breaker.window / 10)),
      cooldownMs: breaker.cooldown,
    },
  };
}

/**
 * One upstream in a worker: its targets, each with its connection pool and shared slot, and how
 * a request picks one. A DNS-discovered upstream changes its targets in place (setTargets): a
 * target that stays keeps its pool, a removed one's pool drains (its requests finish) and closes.
 */
export class Upstream {
  targets: readonly Target[] = [];
  /** For a plain upstream (isPlainUpstream): the weighted round-robin pick; null otherwise. */
  readonly plainPick: (() => Target) | null;
  /** For the others: picks among the targets that may take a request (health, circuit). */
  picker: Picker;
  readonly budget: RetryBudget | null;
  readonly policy: TargetPolicy;

  constructor(readonly name: string, readonly config: UpstreamConfig, assignment: UpstreamAssignment, private readonly env: UpstreamEnv) {
    this.policy = policyOf(config);
    this.setTargets(assignment);
    this.picker = createPicker(config.balance, this.targets);
    if (isPlainUpstream(config)) {
      const rr = new RoundRobin(this.targets, this.targets.map((t) => t.weight));
      this.plainPick = () => rr.pick();
    } else this.plainPick = null;
    const retry = config.retry;
    this.budget = retry === null ? null : new RetryBudget(env.state, assignment.slot, assignment.epoch, retry.budget, retry.minRetries);
  }

  /** Applies a (new) set of targets: those kept keep their pools, removed ones drain and close. */
  setTargets(assignment: UpstreamAssignment): void {
    const old = new Map(this.targets.map((t) => [t.origin, t]));
    let changed = old.size !== assignment.targets.length;
    const next = assignment.targets.map((a) => {
      const kept = old.get(a.url);
      if (kept === undefined) {
        changed = true;
        return this.createTarget(a, null);
      }
      old.delete(a.url);
      if (kept.shared.slot === a.slot && kept.shared.epoch === a.epoch && kept.weight === a.weight) return kept;
      changed = true;
      return this.createTarget(a, kept.pool);
    });
    if (!changed && old.size === 0) return;
    this.targets = next;
    // The first call comes from the constructor, which makes its picker itself.
    if (this.picker !== undefined) this.picker = createPicker(this.config.balance, next);
    for (const gone of old.values()) void gone.pool.close();
  }

  pools(): H1Pool[] {
    return this.targets.map((t) => t.pool);
  }

  private createTarget(a: TargetAssignment, pool: H1Pool | null): Target {
    const url = new URL(a.url);
    return {
      origin: url.origin,
      host: url.host,
      weight: a.weight,
      pool: pool ?? new H1Pool(url.origin, {
        connections: this.config.connections,
        connectTimeout: this.config.timeout.connect,
        keepAliveTimeout: 4_000,
      }),
      shared: new SharedTarget(this.env.state, a.slot, a.epoch, this.policy, this.env.log, { upstream: this.name, target: url.origin }),
    };
  }
}

/**
 * The upstreams of one worker. An upstream whose config a reload leaves unchanged is carried over
 * whole, so it keeps its warm keep-alive connections; the pools of upstreams no generation uses
 * any more are closed gracefully (requests in flight or waiting in their queues finish first).
 */
export class UpstreamRegistry {
  private readonly upstreams = new Map<string, Upstream>();

  constructor(
    configs: Readonly<Record<string, UpstreamConfig>>,
    assignments: Readonly<Record<string, UpstreamAssignment>>,
    env: UpstreamEnv,
    previous: UpstreamRegistry | null,
  ) {
    for (const [name, config] of Object.entries(configs)) {
      const assignment = assignments[name];
      if (assignment === undefined) throw new Error(`upstream ${name}: no target assignment in the generation`);
      const old = previous?.upstreams.get(name);
      if (old !== undefined && JSON.stringify(old.config) === JSON.stringify(config)) {
        old.setTargets(assignment);
        this.upstreams.set(name, old);
      } else this.upstreams.set(name, new Upstream(name, config, assignment, env));
    }
  }

  get(name: string): Upstream {
    const u = this.upstreams.get(name);
    if (u === undefined) throw new Error('unknown upstream ' + name);
    return u;
  }

  /** Every upstream of this registry, in config order. */
  list(): Upstream[] {
    return [...this.upstreams.values()];
  }

  /** A discovery update pushed by the supervisor; ignored for an upstream this generation does not discover. */
  updateTargets(name: string, assignment: UpstreamAssignment): void {
    const u = this.upstreams.get(name);
    if (u !== undefined && u.config.discover !== null) u.setTargets(assignment);
  }

  /** Closes the pools of the upstreams of this registry that `successor` does not carry over. */
  async retire(successor: UpstreamRegistry | null): Promise<void> {
    const kept = new Set(successor?.upstreams.values() ?? []);
    const closing = [...this.upstreams.values()].filter((u) => !kept.has(u)).flatMap((u) => u.pools());
    await Promise.all(closing.map((p) => p.close()));
  }
}
