import type { UpstreamConfig } from '../config/types.js';
import { RoundRobin } from './balancer.js';
import { H1Pool } from './h1/pool.js';

/** One target of an upstream: its connection pool (keep-alive sockets of this worker) and origin. */
export interface Target {
  origin: string;
  /** Host header value sent to this target. */
  host: string;
  pool: H1Pool;
}

export interface Upstream {
  name: string;
  config: UpstreamConfig;
  targets: readonly Target[];
  pick(): Target;
}

/**
 * The upstreams of one worker. Pools are keyed by the upstream's whole config, so a reload that
 * leaves an upstream unchanged keeps its warm keep-alive connections; pools no generation uses
 * any more are closed gracefully (requests in flight or waiting in their queues finish first).
 */
export class UpstreamRegistry {
  private readonly upstreams = new Map<string, Upstream>();
  private readonly pools: H1Pool[] = [];

  constructor(configs: Readonly<Record<string, UpstreamConfig>>, previous: UpstreamRegistry | null) {
    for (const [name, config] of Object.entries(configs)) {
      const reused = previous?.reuse(name, config);
      const upstream = reused ?? createUpstream(name, config);
      this.upstreams.set(name, upstream);
      for (const t of upstream.targets) this.pools.push(t.pool);
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

  /** Closes the pools of this registry that `successor` does not reuse. */
  async retire(successor: UpstreamRegistry | null): Promise<void> {
    const kept = new Set(successor?.pools ?? []);
    await Promise.all(this.pools.filter((p) => !kept.has(p)).map((p) => p.close()));
  }

  private reuse(name: string, config: UpstreamConfig): Upstream | undefined {
    const old = this.upstreams.get(name);
    if (old === undefined || JSON.stringify(old.config) !== JSON.stringify(config)) return undefined;
    return old;
  }
}

function createUpstream(name: string, config: UpstreamConfig): Upstream {
  const targets: Target[] = config.targets.map((t) => {
    const url = new URL(t.url);
    return {
      origin: url.origin,
      host: url.host,
      pool: new H1Pool(url.origin, {
        connections: config.connections,
        connectTimeout: config.timeout.connect,
        keepAliveTimeout: 4_000,
      }),
    };
  });
  const rr = new RoundRobin(targets, config.targets.map((t) => t.weight));
  return { name, config, targets, pick: () => rr.pick() };
}
