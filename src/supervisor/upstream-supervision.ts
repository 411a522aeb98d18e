// The supervisor's side of upstream resilience, once per node: the upstream-state buffer every
// worker shares, which slot each upstream and target holds, the active health checks and the DNS
// discoveries. A config (at start or reload) is first planned (slots taken, first DNS lookups
// made), then committed once every worker applied it, or aborted when one did not.
import type { GatewayConfig } from '../config/types.js';
import type { Logger } from '../observability/logger.js';
import { sharedNow } from '../shm/shared-clock.js';
import * as L from '../shm/upstream-state-layout.js';
import { resetTargetSlot, resetUpstreamSlot } from '../shm/upstream-slots.js';
import { DnsDiscovery, type DiscoveredTarget, type DiscoveryStats } from '../upstream/dns-discovery.js';
import { HealthChecker } from '../upstream/health-checker.js';
import { RetryBudget } from '../upstream/retry-budget.js';
import type { TargetAssignment, UpstreamAssignment } from '../worker/messages.js';
import { SlotAllocator } from './slot-allocator.js';

export interface UpstreamPlan {
  config: GatewayConfig;
  assignments: Record<string, UpstreamAssignment>;
  discoveries: Map<string, DnsDiscovery>;
}

export interface TargetSnapshot {
  url: string;
  weight: number;
  health: 'up' | 'down';
  circuit: (typeof L.CIRCUIT_NAMES)[number];
  /** Times its circuit opened since the target got its slot. */
  circuitOpenings: number;
  /** least-requests only: requests in flight across the workers. */
  inFlight?: number;
}

export interface UpstreamSnapshot {
  upstream: string;
  balance: string;
  targets: TargetSnapshot[];
  /** With retry: first tries and retries over the budget's window (the last 10 s). */
  retries?: { requests: number; retries: number };
  discovery?: DiscoveryStats;
}

export interface SupervisionHooks {
  /** Sends a discovered upstream's new targets to every worker. */
  push(upstream: string, assignment: UpstreamAssignment): void;
  /** Runs a task after any reload in progress (and before the next), so their assignments never cross. */
  serial(task: () => void): void;
}

const targetKey = (upstream: string, url: string): string => `${upstream}\u0000${url}`;

export class UpstreamSupervision {
  readonly buffer = L.createUpstreamState();
  private readonly views = L.upstreamStateViews(this.buffer);
  private readonly targetSlots = new SlotAllocator(L.TARGET_CAPACITY, (slot, epoch) => resetTargetSlot(this.views, slot, epoch));
  private readonly upstreamSlots = new SlotAllocator(L.UPSTREAM_CAPACITY, (slot, epoch) => resetUpstreamSlot(this.views.words, slot, epoch));
  private committed: { config: GatewayConfig; assignments: Record<string, UpstreamAssignment> } | null = null;
  private discoveries = new Map<string, DnsDiscovery>();
  private readonly checkers = new Map<string, HealthChecker>();
  private stopped = false;

  constructor(private readonly log: Logger, private readonly hooks: SupervisionHooks) {}

  /** Slots for every upstream and target of `config`; the first lookup of each new discovery. */
  async plan(config: GatewayConfig): Promise<UpstreamPlan> {
    const discoveries = new Map<string, DnsDiscovery>();
    const fresh: DnsDiscovery[] = [];
    for (const [name, u] of Object.entries(config.upstreams)) {
      if (u.discover === null) continue;
      const running = this.discoveries.get(name);
      if (running !== undefined && JSON.stringify(running.spec) === JSON.stringify(u.discover)) {
        discoveries.set(name, running);
        continue;
      }
      const d: DnsDiscovery = new DnsDiscovery(name, u.discover, this.log, (found) => this.discovered(name, d, found));
      discoveries.set(name, d);
      fresh.push(d);
    }
    await Promise.all(fresh.map((d) => d.first()));
    const assignments: Record<string, UpstreamAssignment> = {};
    for (const [name, u] of Object.entries(config.upstreams)) {
      const own = this.upstreamSlots.assign(name);
      if (own === null) throw new Error(`more than ${L.UPSTREAM_CAPACITY} upstreams: no slot left for upstream ${name}`);
      const targets = u.discover === null ? u.targets : discoveries.get(name)!.current;
      assignments[name] = { slot: own.slot, epoch: own.epoch, targets: this.assignTargets(name, targets) };
    }
    return { config, assignments, discoveries };
  }

  /** Every worker serves the plan: discoveries and health checks follow it, slots it dropped are released. */
  commit(plan: UpstreamPlan): void {
    for (const [name, d] of this.discoveries) if (plan.discoveries.get(name) !== d) d.stop();
    this.discoveries = plan.discoveries;
    for (const d of this.discoveries.values()) d.start();
    this.committed = { config: plan.config, assignments: plan.assignments };
    this.releaseUnused();
    this.reconcileCheckers();
  }

  /** The plan was not applied: what it started is stopped and the slots only it used are released. */
  abort(plan: UpstreamPlan): void {
    for (const [name, d] of plan.discoveries) if (this.discoveries.get(name) !== d) d.stop();
    this.releaseUnused();
  }

  stop(): void {
    this.stopped = true;
    for (const d of this.discoveries.values()) d.stop();
    for (const c of this.checkers.values()) c.stop();
    this.checkers.clear();
  }

  /** Targets with their health and circuit state, per upstream, in config order. */
  snapshot(now = sharedNow()): UpstreamSnapshot[] {
    if (this.committed === null) return [];
    const { config, assignments } = this.committed;
    const w = this.views.words;
    return Object.entries(config.upstreams).map(([name, u]) => {
      const a = assignments[name]!;
      const out: UpstreamSnapshot = {
        upstream: name,
        balance: u.balance,
        targets: a.targets.map((t) => {
          const base = L.targetBase(t.slot);
          const target: TargetSnapshot = {
            url: t.url,
            weight: t.weight,
            health: Atomics.load(w, base + L.T_HEALTH) === L.HEALTH_UP ? 'up' : 'down',
            circuit: L.CIRCUIT_NAMES[Atomics.load(w, base + L.T_CIRCUIT)] ?? 'closed',
            circuitOpenings: Atomics.load(w, base + L.T_OPENINGS),
          };
          if (u.balance === 'least-requests') target.inFlight = Atomics.load(w, base + L.T_IN_FLIGHT) & L.COUNT_MASK;
          return target;
        }),
      };
      if (u.retry !== null) out.retries = RetryBudget.retriesInWindow(this.views, a.slot, now);
      const d = this.discoveries.get(name);
      if (d !== undefined) out.discovery = { ...d.stats };
      return out;
    });
  }

  private discovered(name: string, d: DnsDiscovery, found: DiscoveredTarget[]): void {
    this.hooks.serial(() => {
      const committed = this.committed;
      if (this.stopped || committed === null || this.discoveries.get(name) !== d) return;
      const previous = committed.assignments[name]!;
      const assignment = { slot: previous.slot, epoch: previous.epoch, targets: this.assignTargets(name, found) };
      committed.assignments = { ...committed.assignments, [name]: assignment };
      this.hooks.push(name, assignment);
      this.releaseUnused();
      this.reconcileCheckers();
    });
  }

  private assignTargets(upstream: string, targets: readonly DiscoveredTarget[]): TargetAssignment[] {
    const out: TargetAssignment[] = [];
    for (const t of targets) {
      const ref = this.targetSlots.assign(targetKey(upstream, t.url));
      if (ref === null) {
        this.log.error({ upstream, target: t.url, capacity: L.TARGET_CAPACITY }, 'no upstream-state slot left: target left out');
        continue;
      }
      out.push({ url: t.url, weight: t.weight, slot: ref.slot, epoch: ref.epoch });
    }
    return out;
  }

  private releaseUnused(): void {
    const targets = new Set<string>();
    const upstreams = new Set<string>();
    for (const [name, a] of Object.entries(this.committed?.assignments ?? {})) {
      upstreams.add(name);
      for (const t of a.targets) targets.add(targetKey(name, t.url));
    }
    this.targetSlots.keepOnly(targets);
    this.upstreamSlots.keepOnly(upstreams);
  }

  /** One checker per health-checked target: kept while its target, slot and settings stay. */
  private reconcileCheckers(): void {
    if (this.stopped || this.committed === null) return;
    const { config, assignments } = this.committed;
    const wanted = new Map<string, () => HealthChecker>();
    for (const [name, u] of Object.entries(config.upstreams)) {
      const spec = u.healthCheck;
      if (spec === null) continue;
      for (const t of assignments[name]!.targets) {
        const key = JSON.stringify([name, t.url, t.slot, t.epoch, spec]);
        wanted.set(key, () => new HealthChecker(t.url, spec, this.views.words, t.slot, t.epoch, this.log, name));
      }
    }
    for (const [key, checker] of this.checkers) {
      if (wanted.has(key)) continue;
      checker.stop();
      this.checkers.delete(key);
    }
    for (const [key, make] of wanted) {
      if (this.checkers.has(key)) continue;
      const checker = make();
      this.checkers.set(key, checker);
      checker.start();
    }
  }
}
