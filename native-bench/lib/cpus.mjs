// Which cores the proxies run on and which the load generator and the upstream get.
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** "0-3,8" -> [0, 1, 2, 3, 8] */
export function parseCpuList(text) {
  const cpus = new Set();
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!match) throw new Error(`not a CPU list: ${JSON.stringify(text)} (expected e.g. 0-3,8)`);
    const from = Number(match[1]);
    const to = match[2] === undefined ? from : Number(match[2]);
    if (to < from) throw new Error(`not a CPU list: ${JSON.stringify(text)} (${part} runs backwards)`);
    for (let cpu = from; cpu <= to; cpu++) cpus.add(cpu);
  }
  if (cpus.size === 0) throw new Error('empty CPU list');
  return [...cpus].sort((a, b) => a - b);
}

/** [0, 1, 2, 3, 8] -> "0-3,8", the form taskset -c takes. */
export function formatCpuList(cpus) {
  const parts = [];
  for (let i = 0; i < cpus.length; i++) {
    let j = i;
    while (j + 1 < cpus.length && cpus[j + 1] === cpus[j] + 1) j++;
    parts.push(i === j ? `${cpus[i]}` : `${cpus[i]}-${cpus[j]}`);
    i = j;
  }
  return parts.join(',');
}

export function onlineCpus() {
  try {
    return parseCpuList(readFileSync('/sys/devices/system/cpu/online', 'utf8'));
  } catch {
    return os.cpus().map((_, i) => i);
  }
}

/**
 * The pinning plan: single-process proxies on the first proxy CPU; wrk and the upstream on the
 * load CPUs (by default every other online CPU).
 */
export function pinningPlan(proxyText, loadText) {
  const online = onlineCpus();
  const proxy = proxyText ? parseCpuList(proxyText) : online.slice(0, 1);
  const load = loadText ? parseCpuList(loadText) : online.filter((cpu) => !proxy.includes(cpu));
  for (const cpu of [...proxy, ...load]) {
    if (!online.includes(cpu)) throw new Error(`CPU ${cpu} is not online (online: ${formatCpuList(online)})`);
  }
  if (load.length === 0) throw new Error(`no CPU left for wrk and the upstream (online: ${formatCpuList(online)}); the bench needs 2 cores at least`);
  const shared = proxy.filter((cpu) => load.includes(cpu));
  if (shared.length > 0) throw new Error(`--proxy-cpus and --load-cpus share CPU ${formatCpuList(shared)}`);
  return { online, proxy, load };
}

/**
 * The cores for a gateway with `workers` threads: the proxy CPUs first, then other cores that
 * the load does not use; when that is not enough (2 workers on a 2-core machine) it takes load
 * cores too and says it is contended: the gateway then competes with wrk and the upstream.
 */
export function gatewayCpus(workers, plan) {
  const free = [...plan.proxy, ...plan.online.filter((cpu) => !plan.proxy.includes(cpu) && !plan.load.includes(cpu))];
  if (free.length >= workers) return { cpus: free.slice(0, workers).sort((a, b) => a - b), contended: false };
  const extra = plan.load.slice(0, workers - free.length);
  return { cpus: [...free, ...extra].sort((a, b) => a - b), contended: true };
}
