// DNS service discovery for one upstream, run in one place per node (the supervisor): A/AAAA
// records with the configured port, or SRV records (their targets' addresses, their ports and
// weights) when the name starts with "_". Re-resolved every interval; a lookup that fails or finds
// nothing keeps the last good set (logged and counted). node:dns is wrapped here only.
import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { UpstreamConfig } from '../config/types.js';
import type { Logger } from '../observability/logger.js';

export type DiscoverConfig = NonNullable<UpstreamConfig['discover']>;

export interface DiscoveredTarget {
  url: string;
  weight: number;
}

export interface DiscoveryStats {
  dns: string;
  lookups: number;
  failures: number;
  /** The last failed lookup's reason; null after a good one. */
  lastError: string | null;
  /** ISO time of the last change of the target set; null before the first set. */
  changedAt: string | null;
}

/** Per DNS query: c-ares tries each server this long, twice, before the lookup fails. */
const QUERY_TIMEOUT_MS = 1_000;
const QUERY_TRIES = 2;
/** SRV weights pass through as target weights, within the weights a target accepts. */
const MAX_WEIGHT = 1_000;

/** One lookup: the targets the records name, sorted (so an unchanged answer compares equal). */
export async function lookupTargets(spec: DiscoverConfig, resolver: Resolver): Promise<DiscoveredTarget[]> {
  const found = new Map<string, number>();
  if (spec.dns.startsWith('_')) {
    const records = await resolver.resolveSrv(spec.dns);
    // RFC 2782: the lowest priority value is used first; the others are fallbacks we do not track.
    const best = Math.min(...records.map((r) => r.priority));
    const chosen = records.filter((r) => r.priority === best && r.port > 0);
    const addresses = await Promise.all(chosen.map((r) => addressesOf(r.name, resolver)));
    chosen.forEach((r, i) => {
      for (const address of addresses[i]!) {
        const url = originOf(spec.scheme, address, r.port);
        found.set(url, Math.min(MAX_WEIGHT, (found.get(url) ?? 0) + Math.max(1, r.weight)));
      }
    });
  } else {
    for (const address of await addressesOf(spec.dns, resolver)) found.set(originOf(spec.scheme, address, spec.port!), 1);
  }
  return [...found].map(([url, weight]) => ({ url, weight })).sort((a, b) => (a.url < b.url ? -1 : a.url > b.url ? 1 : 0));
}

/** A and AAAA records of a name (an IP literal is its own address); a name with neither fails. */
async function addressesOf(name: string, resolver: Resolver): Promise<string[]> {
  const bare = name.endsWith('.') ? name.slice(0, -1) : name;
  if (isIP(bare) !== 0) return [bare];
  const [v4, v6] = await Promise.allSettled([resolver.resolve4(bare), resolver.resolve6(bare)]);
  const out = [...(v4.status === 'fulfilled' ? v4.value : []), ...(v6.status === 'fulfilled' ? v6.value : [])];
  if (out.length === 0 && v4.status === 'rejected') throw v4.reason;
  return out;
}

function originOf(scheme: string, address: string, port: number): string {
  return new URL(`${scheme}://${isIP(address) === 6 ? `[${address}]` : address}:${port}`).origin;
}

/**
 * Keeps one upstream's discovered set current. `onChange` gets every new set (never an empty one:
 * a lookup that finds nothing keeps the last good set).
 */
export class DnsDiscovery {
  current: DiscoveredTarget[] = [];
  readonly stats: DiscoveryStats;
  private readonly resolver: Resolver;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    readonly upstream: string,
    readonly spec: DiscoverConfig,
    private readonly log: Logger,
    private readonly onChange: (targets: DiscoveredTarget[]) => void,
  ) {
    this.resolver = new Resolver({ timeout: QUERY_TIMEOUT_MS, tries: QUERY_TRIES });
    if (spec.resolver !== null) this.resolver.setServers([spec.resolver]);
    this.stats = { dns: spec.dns, lookups: 0, failures: 0, lastError: null, changedAt: null };
  }

  /** The first lookup, before the upstream serves; a failure leaves the set empty (503 until one succeeds). */
  async first(): Promise<void> {
    const found = await this.lookup();
    if (found !== null) this.adopt(found);
  }

  /** Re-resolves every interval from now on. */
  start(): void {
    if (this.stopped || this.timer !== null) return;
    const tick = async (): Promise<void> => {
      const found = await this.lookup();
      if (this.stopped) return;
      if (found !== null && !sameTargets(found, this.current)) {
        this.adopt(found);
        this.onChange(found);
      }
      this.timer = setTimeout(() => void tick(), this.spec.interval);
      this.timer.unref();
    };
    this.timer = setTimeout(() => void tick(), this.spec.interval);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.resolver.cancel();
  }

  /** The targets found, or null when the lookup failed or found none (both logged and counted). */
  private async lookup(): Promise<DiscoveredTarget[] | null> {
    this.stats.lookups++;
    let found: DiscoveredTarget[];
    try {
      found = await lookupTargets(this.spec, this.resolver);
    } catch (err) {
      return this.failed((err as NodeJS.ErrnoException).code ?? (err as Error).message);
    }
    if (found.length === 0) return this.failed('no records');
    this.stats.lastError = null;
    return found;
  }

  private failed(reason: string): null {
    if (this.stopped) return null;
    this.stats.failures++;
    this.stats.lastError = reason;
    this.log.warn({
      upstream: this.upstream, dns: this.spec.dns, reason, failures: this.stats.failures, kept: this.current.length,
    }, 'DNS discovery lookup failed; keeping the last good targets');
    return null;
  }

  private adopt(found: DiscoveredTarget[]): void {
    const before = this.current;
    this.current = found;
    this.stats.changedAt = new Date().toISOString();
    const urls = new Set(found.map((t) => t.url));
    const had = new Set(before.map((t) => t.url));
    this.log.info({
      upstream: this.upstream, dns: this.spec.dns, targets: found.map((t) => t.url),
      added: found.filter((t) => !had.has(t.url)).map((t) => t.url), removed: before.filter((t) => !urls.has(t.url)).map((t) => t.url),
    }, 'DNS discovery: targets changed');
  }
}

function sameTargets(a: readonly DiscoveredTarget[], b: readonly DiscoveredTarget[]): boolean {
  return a.length === b.length && a.every((t, i) => t.url === b[i]!.url && t.weight === b[i]!.weight);
}
