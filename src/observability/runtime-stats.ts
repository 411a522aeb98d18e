import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import {
  WORKER_EXTERNAL, WORKER_HEAP_TOTAL, WORKER_HEAP_USED, WORKER_LOOP_DELAY_MAX, WORKER_LOOP_DELAY_P50, WORKER_LOOP_DELAY_P99, WORKER_LOOP_UTILIZATION,
} from './metric-catalogue.js';
import type { MetricDef } from './metric-def.js';
import type { MetricsRecorder } from './metrics-recorder.js';

const RESOLUTION_MS = 10;
/** Event-loop figures cover this period, the last one completed (the SIGUSR2 soak samples every 10 s). */
export const LOOP_PERIOD_MS = 10_000;

/**
 * One thread's heap and event loop, as per-worker gauges (metric-catalogue.ts). The heap figures
 * are this thread's V8 isolate alone; RSS is the whole process and is read by the supervisor.
 */
export class RuntimeStats {
  // The histogram records each tick of a RESOLUTION_MS timer; what exceeds the resolution is delay.
  private readonly ticks = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  private lastElu = performance.eventLoopUtilization();
  private periodStart = performance.now();
  /** Seconds; null until the first period ends (then the figures since start are shown). */
  private loop: { p50: number; p99: number; max: number; utilization: number } | null = null;

  constructor() {
    this.ticks.enable();
  }

  /** Registers the gauges, read at every push. */
  register(metrics: MetricsRecorder): void {
    const one = (def: MetricDef, read: () => number): void => metrics.gauge(def, (emit) => emit([], read()));
    one(WORKER_HEAP_USED, () => process.memoryUsage().heapUsed);
    one(WORKER_HEAP_TOTAL, () => process.memoryUsage().heapTotal);
    one(WORKER_EXTERNAL, () => process.memoryUsage().external);
    one(WORKER_LOOP_DELAY_P50, () => this.loopFigures().p50);
    one(WORKER_LOOP_DELAY_P99, () => this.loopFigures().p99);
    one(WORKER_LOOP_DELAY_MAX, () => this.loopFigures().max);
    one(WORKER_LOOP_UTILIZATION, () => this.loopFigures().utilization);
  }

  /** The figures of the last completed period (or since start, before one completes). */
  private loopFigures(): { p50: number; p99: number; max: number; utilization: number } {
    const now = performance.now();
    if (this.loop !== null && now - this.periodStart < LOOP_PERIOD_MS) return this.loop;
    const elu = performance.eventLoopUtilization(this.lastElu);
    // Seconds, whole nanoseconds (the histogram's unit).
    const delay = (ns: number): number => (Number.isFinite(ns) ? Math.max(0, Math.round(ns) - RESOLUTION_MS * 1e6) / 1e9 : 0);
    const figures = { p50: delay(this.ticks.percentile(50)), p99: delay(this.ticks.percentile(99)), max: delay(this.ticks.max), utilization: Math.round(elu.utilization * 1e6) / 1e6 };
    if (now - this.periodStart >= LOOP_PERIOD_MS) {
      this.ticks.reset();
      this.lastElu = performance.eventLoopUtilization();
      this.periodStart = now;
      this.loop = figures;
    }
    return figures;
  }
}
