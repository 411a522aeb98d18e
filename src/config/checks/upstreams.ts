// Rules that span the keys of one upstream: targets or discover, hashOn with consistent-hash,
// weights a hash ring can hold, the port of a DNS-discovered upstream.
import { TARGET_CAPACITY, UPSTREAM_CAPACITY } from '../../shm/upstream-state-layout.js';
import type { Problem } from '../errors.js';
import { asList, asMap, asString, type RawMap } from './raw.js';

/** A target's ring share is 100 points per unit of weight: this keeps a ring within 10,000 points per target. */
export const MAX_HASH_WEIGHT = 100;

export function checkUpstreams(raw: unknown): Problem[] {
  const upstreams = asMap(asMap(raw)?.['upstreams']);
  if (upstreams === null) return [];
  const problems = Object.entries(upstreams).flatMap(([name, value]) => {
    const upstream = asMap(value);
    return upstream === null ? [] : checkUpstream(name, upstream);
  });
  // Every upstream and target has a slot in the node's shared upstream state.
  const names = Object.keys(upstreams).length;
  const targets = Object.values(upstreams).reduce((n: number, u) => n + asList(asMap(u)?.['targets']).length, 0);
  if (names > UPSTREAM_CAPACITY) problems.push({ path: ['upstreams'], at: 'key', message: `${names} upstreams: at most ${UPSTREAM_CAPACITY}` });
  if (targets > TARGET_CAPACITY) problems.push({ path: ['upstreams'], at: 'key', message: `${targets} targets: at most ${TARGET_CAPACITY} in all (discovered ones included)` });
  return problems;
}

function checkUpstream(name: string, u: RawMap): Problem[] {
  const at = (path: (string | number)[], message: string, where: Problem['at'] = 'key'): Problem => ({ path: ['upstreams', name, ...path], at: where, message });
  const problems: Problem[] = [];
  const hasTargets = u['targets'] !== undefined;
  const discover = asMap(u['discover']);
  if (!hasTargets && u['discover'] === undefined) problems.push(at([], 'an upstream needs "targets" or "discover"', 'value'));
  if (hasTargets && u['discover'] !== undefined) problems.push(at(['discover'], 'an upstream has either "targets" or "discover", not both'));
  const balance = asString(u['balance']) ?? 'round-robin';
  if (u['hashOn'] !== undefined && balance !== 'consistent-hash') {
    problems.push(at(['hashOn'], `"hashOn" applies only to balance: consistent-hash (this upstream balances ${balance})`));
  }
  if (balance === 'consistent-hash') {
    asList(u['targets']).forEach((target, index) => {
      const weight = asMap(target)?.['weight'];
      if (typeof weight === 'number' && weight > MAX_HASH_WEIGHT) {
        problems.push(at(['targets', index, 'weight'], `with consistent-hash, a weight is at most ${MAX_HASH_WEIGHT} (each unit is 100 points on the hash ring)`, 'value'));
      }
    });
  }
  if (discover !== null) {
    const dns = asString(discover['dns']);
    const srv = dns !== null && dns.startsWith('_');
    if (srv && discover['port'] !== undefined) problems.push(at(['discover', 'port'], 'SRV records carry their own ports: leave "port" out when "dns" names SRV records (starts with "_")'));
    if (dns !== null && !srv && discover['port'] === undefined) problems.push(at(['discover'], `"port" is needed: A/AAAA records of ${dns} give addresses only`, 'value'));
  }
  return problems;
}
