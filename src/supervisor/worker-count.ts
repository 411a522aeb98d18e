import os from 'node:os';
import { readFileSync } from 'node:fs';
import { MAX_WORKERS } from '../shm/control-layout.js';

/**
 * How many worker threads to start. `auto` is the cores this process may use (cpuLimit()), but
 * never more than the shared control block has slots for; a number is already within
 * 1..MAX_WORKERS (the config schema and --workers refuse others).
 */
export function workerCount(wanted: number | 'auto', cores = cpuLimit()): number {
  return wanted === 'auto' ? Math.min(cores, MAX_WORKERS) : wanted;
}

/**
 * The cores this process may use: the CPUs it may run on (os.availableParallelism(): the
 * affinity mask, which `taskset` and `docker --cpuset-cpus` set), and no more than its cgroup's
 * CPU quota rounded up (`docker --cpus=2`, a Kubernetes CPU limit, systemd's CPUQuota=), which
 * Node's figure does not see: a worker per host core under a 2-CPU quota would be throttled
 * together.
 */
export function cpuLimit(): number {
  const cpus = os.availableParallelism();
  const quota = cgroupCpuQuota();
  return quota === null ? cpus : Math.max(1, Math.min(cpus, quota));
}

/** The CPU quota of this process's cgroup in whole cores (rounded up), or null when it has none or none can be read. */
export function cgroupCpuQuota(readFile: (path: string) => string | null = readText): number | null {
  // cgroup v2: the process's group from /proc/self/cgroup ("0::/path"), and the smallest cpu.max
  // of it and the groups above it (a systemd slice's CPUQuota= limits every service in it).
  // Inside a container the group is the root of its own namespace ("0::/"), mounted as
  // /sys/fs/cgroup.
  const membership = readFile('/proc/self/cgroup');
  const v2 = membership === null ? null : /^0::(\/.*)$/m.exec(membership);
  if (v2 !== null) {
    let least: number | null = null;
    let found = false;
    for (let dir = v2[1]!.trim().replace(/\/+$/, ''); ; dir = dir.slice(0, dir.lastIndexOf('/'))) {
      const max = readFile(`/sys/fs/cgroup${dir}/cpu.max`);
      if (max !== null) {
        found = true;
        const cores = parseCpuMax(max);
        if (cores !== null && (least === null || cores < least)) least = cores;
      }
      if (dir === '') break;
    }
    if (found) return least;
  }
  // cgroup v1: the cpu controller's quota and period, of the process's group ("N:cpu,cpuacct:/path")
  // or, inside a container, of the controller's mount itself.
  const v1 = membership === null ? null : /^\d+:(?:[^:]*,)?cpu(?:,[^:]*)?:(\/.*)$/m.exec(membership);
  const path = v1 === null ? '' : v1[1]!.trim().replace(/\/+$/, '');
  for (const mount of ['/sys/fs/cgroup/cpu', '/sys/fs/cgroup/cpu,cpuacct']) {
    for (const dir of path === '' ? [mount] : [mount + path, mount]) {
      const quota = readFile(`${dir}/cpu.cfs_quota_us`);
      const period = readFile(`${dir}/cpu.cfs_period_us`);
      if (quota !== null && period !== null) return coresOf(Number(quota.trim()), Number(period.trim()));
    }
  }
  return null;
}

/** cgroup v2 `cpu.max`: "max 100000" (no quota) or "QUOTA PERIOD" in microseconds. */
export function parseCpuMax(text: string): number | null {
  const [quota, period] = text.trim().split(/\s+/);
  if (quota === undefined || quota === 'max') return null;
  return coresOf(Number(quota), Number(period ?? '100000'));
}

function coresOf(quota: number, period: number): number | null {
  // v1 writes -1 for no quota.
  if (!Number.isFinite(quota) || !Number.isFinite(period) || quota <= 0 || period <= 0) return null;
  return Math.max(1, Math.ceil(quota / period));
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}
