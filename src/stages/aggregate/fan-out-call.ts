import { performance } from 'node:perf_hooks';
import type { UpstreamMeter } from '../../observability/request-meters.js';
import type { Target } from '../../upstream/registry.js';
import type { UpstreamHandler } from '../../upstream/h1/types.js';
import { classifyUpstreamError, type UpstreamFailure } from '../proxy/upstream-errors.js';

/** Why one aggregate call failed, as the client is told (never the upstream's own words). */
export const CALL_STATUS_FAILED: UpstreamFailure = { code: 'TG_UPSTREAM_FAILED', detail: 'An upstream of this aggregate answered with an error.', kind: 'protocol' };
export const CALL_TIMEOUT: UpstreamFailure = { code: 'TG_UPSTREAM_TIMEOUT', detail: 'An upstream of this aggregate did not answer in time.', kind: 'timeout' };
export const CALL_TOO_LARGE: UpstreamFailure = { code: 'TG_UPSTREAM_FAILED', detail: 'An upstream of this aggregate answered with a body too large to merge.', kind: 'protocol' };

/** The gathered answer of one call, or why it failed. */
export type CallOutcome = { ok: true; body: Buffer } | { ok: false; failure: UpstreamFailure };

class CallTimeoutError extends Error {
  readonly code = 'TG_UP_TIMEOUT';
}

/**
 * One call of an aggregate: a GET through the upstream's pool whose whole body is gathered (the
 * chunks are borrowed, so each is copied), with a deadline for the whole answer. A 5xx is a
 * failure; the body is not read further.
 */
export class FanOutCall implements UpstreamHandler {
  private abortUpstream: ((err: Error) => void) | null = null;
  private chunks: Buffer[] = [];
  private size = 0;
  private done = false;
  private timer: NodeJS.Timeout | null = null;
  private startedAt = 0;
  private answered = false;

  constructor(
    private readonly target: Target,
    private readonly meter: UpstreamMeter,
    private readonly maxBody: number,
    private readonly onOutcome: (outcome: CallOutcome) => void,
  ) {}

  start(path: string, headers: readonly string[], host: string | null, timeout: number): void {
    this.startedAt = performance.now();
    this.timer = setTimeout(() => this.cancel(new CallTimeoutError('aggregate call timeout')), timeout);
    this.target.pool.dispatch({ method: 'GET', path, headers, host, body: null, bodyLength: 0, timeout }, this);
  }

  /** Stops this call (the request failed or the client left); no outcome is reported after it. */
  cancel(err: Error): void {
    if (this.done) return;
    if (!(err instanceof CallTimeoutError)) this.settle(null);
    if (this.abortUpstream !== null) this.abortUpstream(err);
    else if (err instanceof CallTimeoutError) this.fail(err);
  }

  onStart(abort: (err: Error) => void): void {
    if (this.done) abort(new Error('aggregate call cancelled'));
    else this.abortUpstream = abort;
  }

  onHead(status: number, _headers: (string | Buffer)[], contentLength: number): void {
    this.answered = true;
    this.meter.answered(performance.now() - this.startedAt, status);
    if (status >= 500) this.settleFailure(CALL_STATUS_FAILED);
    else if (contentLength > this.maxBody) this.settleFailure(CALL_TOO_LARGE);
  }

  onData(chunk: Buffer): boolean {
    if (this.done) return true;
    this.size += chunk.length;
    if (this.size > this.maxBody) {
      this.settleFailure(CALL_TOO_LARGE);
      return true;
    }
    this.chunks.push(Buffer.from(chunk));
    return true;
  }

  onComplete(): void {
    if (this.done) return;
    const body = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
    this.chunks = [];
    this.settle({ ok: true, body });
  }

  onError(err: Error & { code?: string }): void {
    this.fail(err);
  }

  private fail(err: Error & { code?: string }): void {
    if (this.done) return;
    const failure = classifyUpstreamError(err);
    this.meter.failed(failure.kind, this.answered ? -1 : performance.now() - this.startedAt);
    this.settle({ ok: false, failure: failure.code === 'TG_BAD_HEADER' ? CALL_STATUS_FAILED : failure });
  }

  /** A failure found in the answer itself: the rest of it is not wanted, so the connection is let go. */
  private settleFailure(failure: UpstreamFailure): void {
    this.settle({ ok: false, failure });
    this.abortUpstream?.(new Error('aggregate call answer refused'));
  }

  private settle(outcome: CallOutcome | null): void {
    if (this.done) return;
    this.done = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.chunks = [];
    if (outcome !== null) this.onOutcome(outcome);
  }
}
