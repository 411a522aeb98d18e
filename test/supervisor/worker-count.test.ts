// How many worker threads start: `auto` follows the cores this process may use (its CPU affinity
// and its cgroup's CPU quota), up to the control block's slots.
import t from 'tap';
import { MAX_WORKERS } from '../../dist/shm/control-layout.js';
import os from 'node:os';
import { cgroupCpuQuota, cpuLimit, parseCpuMax, workerCount } from '../../dist/supervisor/worker-count.js';

t.test('auto is the available cores, clamped to MAX_WORKERS on a bigger machine', async (t) => {
  t.equal(workerCount('auto', 1), 1);
  t.equal(workerCount('auto', 16), 16);
  t.equal(workerCount('auto', MAX_WORKERS), MAX_WORKERS);
  t.equal(workerCount('auto', MAX_WORKERS + 1), MAX_WORKERS);
  t.equal(workerCount('auto', 1024), MAX_WORKERS);
});

t.test('a number is taken as it is (the schema and --workers keep it within 1..MAX_WORKERS)', async (t) => {
  t.equal(workerCount(3, 64), 3);
  t.equal(workerCount(MAX_WORKERS, 2), MAX_WORKERS);
});

t.test('auto follows a cgroup CPU quota (docker --cpus, CPUQuota=), rounded up, never above the usable CPUs', async (t) => {
  t.equal(parseCpuMax('max 100000\n'), null, 'no quota');
  t.equal(parseCpuMax('200000 100000\n'), 2);
  t.equal(parseCpuMax('150000 100000'), 2, '1.5 CPUs: 2 workers');
  t.equal(parseCpuMax('50000 100000'), 1, 'half a CPU: still 1');
  t.equal(parseCpuMax('garbage'), null);

  const files = (map: Record<string, string>) => (path: string): string | null => map[path] ?? null;
  // cgroup v2, a service in a slice: the smaller of the service's and the slice's quota.
  t.equal(cgroupCpuQuota(files({
    '/proc/self/cgroup': '0::/system.slice/tollgate.service\n',
    '/sys/fs/cgroup/system.slice/tollgate.service/cpu.max': 'max 100000\n',
    '/sys/fs/cgroup/system.slice/cpu.max': '300000 100000\n',
  })), 3);
  t.equal(cgroupCpuQuota(files({
    '/proc/self/cgroup': '0::/system.slice/tollgate.service\n',
    '/sys/fs/cgroup/system.slice/tollgate.service/cpu.max': '100000 100000\n',
    '/sys/fs/cgroup/system.slice/cpu.max': '300000 100000\n',
  })), 1);
  // A container: its own namespace's root, mounted as /sys/fs/cgroup.
  t.equal(cgroupCpuQuota(files({ '/proc/self/cgroup': '0::/\n', '/sys/fs/cgroup/cpu.max': '400000 100000\n' })), 4);
  t.equal(cgroupCpuQuota(files({ '/proc/self/cgroup': '0::/\n', '/sys/fs/cgroup/cpu.max': 'max 100000\n' })), null);
  // cgroup v1: the cpu controller's group, or its mount.
  t.equal(cgroupCpuQuota(files({
    '/proc/self/cgroup': '11:cpu,cpuacct:/docker/abc\n10:memory:/docker/abc\n',
    '/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us': '250000\n',
    '/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us': '100000\n',
  })), 3);
  t.equal(cgroupCpuQuota(files({
    '/proc/self/cgroup': '4:cpu,cpuacct:/\n',
    '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '-1\n',
    '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000\n',
  })), null, 'v1 without a quota');
  t.equal(cgroupCpuQuota(files({})), null, 'nothing readable: no quota');

  // This machine, read for real: within 1..the CPUs Node sees.
  const limit = cpuLimit();
  t.ok(limit >= 1 && limit <= os.availableParallelism(), `cpuLimit() ${limit}`);
});
