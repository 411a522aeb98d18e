// The supervisor's own figures, read when /metrics is scraped.
import { readdirSync } from 'node:fs';
import { PROCESS_CPU, PROCESS_OPEN_FDS, PROCESS_RSS, PROCESS_START, WORKERS } from '../observability/metric-catalogue.js';
import type { MetricStore } from '../observability/metric-store.js';

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

export function sampleProcess(store: MetricStore, workersServing: number): void {
  store.set(WORKERS, [], workersServing);
  store.set(PROCESS_RSS, [], process.memoryUsage.rss());
  const cpu = process.cpuUsage();
  store.set(PROCESS_CPU, [], (cpu.user + cpu.system) / 1e6);
  store.set(PROCESS_START, [], startSeconds);
  const fds = openFds();
  if (fds !== null) store.set(PROCESS_OPEN_FDS, [], fds);
}
