// Active health checks of one target, run once per node (by the supervisor): GET healthCheck.path
// every interval on a fresh connection; a 2xx or 3xx answer within the timeout is a success. The
// result goes to the target's T_HEALTH word, which every worker reads before picking it.
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import type { UpstreamConfig } from '../config/types.js';
import type { Logger } from '../observability/logger.js';
import * as L from '../shm/upstream-state-layout.js';

export type HealthCheckConfig = NonNullable<UpstreamConfig['healthCheck']>;

/** One check: resolves with the answer's status, or a reason for failing (never rejects). */
export function probeTarget(origin: string, path: string, timeoutMs: number, signal?: AbortSignal): Promise<{ ok: boolean; detail: string }> {
  const url = new URL(origin);
  const secure = url.protocol === 'https:';
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return new Promise((resolve) => {
    let done = false;
    const finish = (ok: boolean, detail: string): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.destroy();
      resolve({ ok, detail });
    };
    const req = (secure ? https : http).request({
      hostname,
      port: url.port === '' ? (secure ? 443 : 80) : Number(url.port),
      path,
      method: 'GET',
      agent: false,
      signal,
      servername: secure && isIP(hostname) === 0 ? hostname : undefined,
      headers: { host: url.host, 'user-agent': 'tollgate-health-check', connection: 'close' },
    }, (res) => {
      const status = res.statusCode ?? 0;
      res.resume();
      finish(status >= 200 && status < 400, `status ${status}`);
    });
    const timer = setTimeout(() => finish(false, 'timeout'), timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => finish(false, err.code ?? err.message));
    req.end();
  });
}

export class HealthChecker {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** Ends a check in flight when the checker stops (a stopping gateway waits for no socket). */
  private readonly abort = new AbortController();
  private successes = 0;
  private failures = 0;
  /** T_DOWNS as last seen: a change means someone else (passive detection) took the target out. */
  private seenDowns: number;
  private readonly base: number;

  constructor(
    private readonly origin: string,
    private readonly spec: HealthCheckConfig,
    private readonly words: Int32Array,
    slot: number,
    private readonly epoch: number,
    private readonly log: Logger,
    private readonly upstream: string,
  ) {
    this.base = L.targetBase(slot);
    this.seenDowns = Atomics.load(words, this.base + L.T_DOWNS);
  }

  start(): void {
    const run = async (): Promise<void> => {
      const result = await probeTarget(this.origin, this.spec.path, this.spec.timeout, this.abort.signal);
      if (this.stopped) return;
      this.apply(result.ok, result.detail);
      this.timer = setTimeout(() => void run(), this.spec.interval);
      this.timer.unref();
    };
    void run();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.abort.abort();
  }

  private apply(ok: boolean, detail: string): void {
    const w = this.words;
    // The slot went to another target while this check ran (the supervisor stops us next).
    if (Atomics.load(w, this.base + L.T_EPOCH) !== this.epoch) return;
    const downs = Atomics.load(w, this.base + L.T_DOWNS);
    if (downs !== this.seenDowns) {
      // Taken out by real traffic: its way back is healthyAfter successes from now.
      this.seenDowns = downs;
      this.successes = 0;
    }
    const labels = { upstream: this.upstream, target: this.origin };
    if (ok) {
      this.successes++;
      this.failures = 0;
      if (this.successes < this.spec.healthyAfter) return;
      // CAS, not a store: a worker may be moving it down at this very moment on fresh failures.
      if (Atomics.compareExchange(w, this.base + L.T_HEALTH, L.HEALTH_DOWN, L.HEALTH_UP) === L.HEALTH_DOWN) {
        Atomics.store(w, this.base + L.T_FAIL_STREAK, 0);
        this.log.info({ ...labels, health: 'up', successes: this.successes }, 'target healthy again: health checks pass');
      }
      return;
    }
    this.failures++;
    this.successes = 0;
    if (this.failures < this.spec.unhealthyAfter) return;
    if (Atomics.compareExchange(w, this.base + L.T_HEALTH, L.HEALTH_UP, L.HEALTH_DOWN) === L.HEALTH_UP) {
      this.seenDowns = Atomics.add(w, this.base + L.T_DOWNS, 1) + 1;
      this.log.warn({ ...labels, health: 'down', failures: this.failures, detail }, 'target marked down: health checks fail');
    }
  }
}
