import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { WorkerRuntimeStats } from '../worker/messages.js';

const RESOLUTION_MS = 10;
const MIB = 1024 * 1024;

const round = (n: number, digits: number): number => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * One thread's heap and event loop since the previous snapshot (SIGUSR2; the soak samples it).
 * The heap figures are this thread's V8 isolate alone; RSS is the whole process and is not here.
 */
export class RuntimeStats {
  // The histogram records each tick of a RESOLUTION_MS timer; what exceeds the resolution is delay.
  private readonly ticks = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  private lastElu = performance.eventLoopUtilization();

  constructor() {
    this.ticks.enable();
  }

  snapshot(): WorkerRuntimeStats {
    const mem = process.memoryUsage();
    const elu = performance.eventLoopUtilization(this.lastElu);
    this.lastElu = performance.eventLoopUtilization();
    const delay = (ns: number): number => round(Math.max(0, ns / 1e6 - RESOLUTION_MS), 2);
    const stats: WorkerRuntimeStats = {
      heapUsedMiB: round(mem.heapUsed / MIB, 2),
      heapTotalMiB: round(mem.heapTotal / MIB, 2),
      externalMiB: round(mem.external / MIB, 2),
      eventLoopDelayMs: { p50: delay(this.ticks.percentile(50)), p99: delay(this.ticks.percentile(99)), max: delay(this.ticks.max) },
      eventLoopUtilization: round(elu.utilization, 3),
    };
    this.ticks.reset();
    return stats;
  }
}
