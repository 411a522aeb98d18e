import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import type { UpstreamConfig } from '../../config/types.js';
import type { RequestContext } from '../../pipeline/context.js';
import { guarded } from '../../pipeline/guard.js';
import { sharedNow, sharedTime } from '../../shm/shared-clock.js';
import { CIRCUIT_CLOSED } from '../../shm/upstream-state-layout.js';
import type { Upstream } from '../../upstream/registry.js';
import type { Target } from '../../upstream/target.js';
import { ClientGoneError, UpstreamCall, type CallOptions } from './upstream-call.js';
import { CIRCUIT_OPEN, NO_HEALTHY_TARGET, replyUpstreamFailure, retryCondition, type UpstreamFailure } from './upstream-errors.js';

/** RFC 9110 §9.2.2: methods a repeat cannot harm. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

export interface RetrySettings {
  attempts: number;
  /** connect, reset, timeout and status codes. */
  on: ReadonlySet<string | number>;
  backoffMs: number;
  tryTimeoutMs: number | null;
}

/** What a route's proxy stage compiled from its upstream's config, shared by its calls. */
export interface Resilience {
  upstream: Upstream;
  /** The consistent-hash key of a request ('' for the other modes). */
  keyOf: (ctx: RequestContext) => string;
  leastRequests: boolean;
  /** The breaker or passive health detection wants each call's outcome. */
  recordOutcomes: boolean;
  retry: RetrySettings | null;
}

export function compileResilience(upstream: Upstream): Resilience {
  const config = upstream.config;
  const retry = config.retry;
  return {
    upstream,
    keyOf: compileHashKey(config),
    leastRequests: config.balance === 'least-requests',
    recordOutcomes: upstream.policy.breaker !== null || upstream.policy.passiveFailures > 0,
    retry: retry === null ? null : {
      attempts: retry.attempts, on: new Set(retry.on), backoffMs: retry.backoff, tryTimeoutMs: retry.tryTimeout,
    },
  };
}

function compileHashKey(config: UpstreamConfig): (ctx: RequestContext) => string {
  if (config.balance !== 'consistent-hash') return () => '';
  const on = config.hashOn ?? 'ip';
  if (on === 'ip') return (ctx) => ctx.remoteAddress;
  if (on === 'consumer') return (ctx) => ctx.consumer ?? ctx.remoteAddress;
  const name = on.slice('header:'.length);
  return (ctx) => {
    const h = ctx.headers;
    for (let i = 0; i < h.length; i += 2) if (h[i] === name) return h[i + 1]!;
    return ctx.remoteAddress;
  };
}

/** Why no target could take a request: every circuit of the targets that are up is open, or none is up. */
export function unavailable(upstream: Upstream): UpstreamFailure {
  const checked = upstream.policy.checkHealth;
  const upButOpen = upstream.targets.some((t) => (!checked || t.shared.healthy()) && t.shared.circuit() !== CIRCUIT_CLOSED);
  return upButOpen ? CIRCUIT_OPEN : NO_HEALTHY_TARGET;
}

/**
 * An upstream call with the upstream's resilience settings: it counts itself in flight
 * (least-requests), reports its outcome to the target's shared state (circuit breaker, passive
 * health), and retries what may be retried: an idempotent method whose body can be sent again,
 * before any byte of the answer went to the client, on a configured condition, to another target
 * when there is one, after a back-off, within the route's timeout and the upstream's retry budget.
 */
export class ResilientCall extends UpstreamCall {
  private probe: boolean;
  private holding = false;
  private reported = false;
  private discarding = false;
  private tries = 1;
  private tried: Target[] | null = null;
  private deadline = 0;
  private replay: Buffer | null = null;
  private replayable = false;
  private retryTimer: NodeJS.Timeout | null = null;
  /** The back-off before the next try, drawn when that try was allowed. */
  private delay = 0;

  constructor(ctx: RequestContext, target: Target, opts: CallOptions, private readonly r: Resilience, probe: boolean) {
    super(ctx, target, opts);
    this.probe = probe;
    if (r.leastRequests) this.holding = target.shared.acquire();
  }

  override start(body: Buffer | Readable | null): void {
    this.replayable = !(body instanceof Readable);
    this.replay = body instanceof Readable ? null : body;
    super.start(body);
  }

  override cancel(err: Error): void {
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.release();
    super.cancel(err);
  }

  /** The route's timeout covers every try and back-off; retry.tryTimeout bounds one try. */
  protected override tryTimeout(): number {
    const now = this.dispatchedAt; // read by dispatch() just now
    if (this.deadline === 0) this.deadline = now + this.opts.timeout;
    const left = Math.max(1, Math.ceil(this.deadline - now));
    const perTry = this.r.retry?.tryTimeoutMs ?? null;
    return perTry === null ? left : Math.min(perTry, left);
  }

  protected override head(statusCode: number, rawHeaders: (string | Buffer)[], contentLength: number, resume: () => void): void {
    this.report(statusCode < 500, sharedTime(this.headAt));
    if (this.r.retry?.on.has(statusCode) === true && this.mayRetry()) {
      // Read the rest of this answer and drop it (the connection stays reusable), then retry.
      this.discarding = true;
      return;
    }
    super.head(statusCode, rawHeaders, contentLength, resume);
  }

  protected override data(chunk: Buffer): boolean {
    return this.discarding ? true : super.data(chunk);
  }

  protected override complete(): void {
    this.release();
    if (this.discarding) {
      this.discarding = false;
      this.retryLater();
      return;
    }
    super.complete();
  }

  protected override error(err: Error & { code?: string }): void {
    this.release();
    if (this.settled || err instanceof ClientGoneError) {
      super.error(err);
      return;
    }
    if (this.discarding) {
      // The dropped answer broke off: the retry was decided (and budgeted) already.
      this.discarding = false;
      this.retryLater();
      return;
    }
    if (this.status === 0) {
      const condition = retryCondition(err);
      // A request the gateway could not write (a bad header) says nothing about the target.
      if (err.code !== 'TG_UP_BAD_REQUEST') this.report(false, sharedNow());
      if (condition !== null && this.r.retry?.on.has(condition) === true && this.mayRetry()) {
        this.opts.log.debug({
          route: this.ctx.route.id, upstream: this.target.origin, requestId: this.ctx.requestId, try: this.tries, err: { code: err.code, message: err.message },
        }, 'upstream try failed; retrying');
        this.retryLater();
        return;
      }
    }
    super.error(err);
  }

  /** Reports this try's outcome once to the target's breaker and passive health detection. */
  private report(ok: boolean, now: number): void {
    if (this.reported || !this.r.recordOutcomes) return;
    this.reported = true;
    this.target.shared.record(ok, this.probe, now);
  }

  private release(): void {
    if (!this.holding) return;
    this.holding = false;
    this.target.shared.release();
  }

  /**
   * Whether another try may go out, after a back-off (doubled per retry, jittered between half and
   * all of it) that still ends before the route's timeout; takes the retry from the budget when so.
   */
  private mayRetry(): boolean {
    const retry = this.r.retry;
    if (retry === null || this.tries > retry.attempts || !this.replayable || !IDEMPOTENT.has(this.ctx.method)) return false;
    const full = retry.backoffMs * 2 ** (this.tries - 1);
    this.delay = full / 2 + Math.random() * (full / 2);
    if (this.ctx.exchange.finished || performance.now() + this.delay >= this.deadline) return false;
    return this.r.upstream.budget!.tryRetry(sharedNow());
  }

  private retryLater(): void {
    (this.tried ??= []).push(this.target);
    this.tries++;
    this.retryTimer = setTimeout(guarded(this.ctx.exchange, 'upstream retry timer', () => this.retryNow()), this.delay);
  }

  private retryNow(): void {
    this.retryTimer = null;
    if (this.settled || this.ctx.exchange.finished) return;
    const upstream = this.r.upstream;
    const target = upstream.picker.pick(this.r.keyOf(this.ctx), this.tried, sharedNow());
    if (target === null) {
      this.settled = true;
      replyUpstreamFailure(this.ctx, unavailable(upstream));
      return;
    }
    this.target = target;
    this.probe = upstream.picker.probe;
    this.reported = false;
    if (this.r.leastRequests) this.holding = target.shared.acquire();
    this.ctx.upstreamTarget = target.origin;
    this.dispatch(this.replay);
  }
}
