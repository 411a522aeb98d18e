import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import type { RequestContext } from '../../pipeline/context.js';
import type { HeaderList } from '../../pipeline/exchange.js';
import type { Logger } from '../../observability/logger.js';
import type { UpstreamMeter } from '../../observability/request-meters.js';
import type { Target } from '../../upstream/registry.js';
import type { UpstreamHandler, UpstreamRequest } from '../../upstream/h1/types.js';
import { clientHeaders, type ResponseHeaderPlan } from './response-headers.js';
import { classifyUpstreamError, replyUpstreamFailure } from './upstream-errors.js';

export interface CallOptions {
  path: string;
  headers: string[];
  /** headers.request.set's host, replacing the target's; null: the target's host[:port]. */
  host: string | null;
  timeout: number;
  /** Once the head came, the longest pause in the body (upstream timeout.idle). */
  idleTimeout: number;
  responsePlan: ResponseHeaderPlan;
  log: Logger;
  /** The upstream's figures: time to the answer's head, its status, failures by kind. */
  meter: UpstreamMeter;
}

const EMPTY = Buffer.alloc(0);
const NO_HEADERS: HeaderList = [];

/**
 * Calls started in this loop iteration, dispatched by one setImmediate (UpstreamCall.start). Two
 * arrays that swap, each never shortened (setting a length of 0 drops an array's room, and the
 * next push would allocate it again).
 */
let startQueued: (UpstreamCall | null)[] = [];
let startQueuedCount = 0;
let startRunning: (UpstreamCall | null)[] = [];
let startScheduled = false;

function queueStart(call: UpstreamCall): void {
  startQueued[startQueuedCount++] = call;
  if (!startScheduled) {
    startScheduled = true;
    setImmediate(runStarts);
  }
}

function runStarts(): void {
  startScheduled = false;
  // A call started while these dispatch waits for the next iteration, as with its own setImmediate.
  const calls = startQueued;
  const count = startQueuedCount;
  startQueued = startRunning;
  startQueuedCount = 0;
  startRunning = calls;
  for (let i = 0; i < count; i++) {
    const call = calls[i]!;
    calls[i] = null;
    call.runStart();
  }
}

/** Bodies up to this size with a Content-Length are sent to the client in one write. */
const COALESCE_LIMIT = 128 * 1024;

/**
 * One request to one upstream target: the response streams to the client with backpressure
 * both ways (the connection pauses when onData returns false; the exchange tells us when the
 * client drained). A small body that arrives in one chunk is held and written with the status
 * and headers in one cork, so the client gets one send().
 */
export class UpstreamCall implements UpstreamHandler, UpstreamRequest {
  private abortUpstream: ((err: Error) => void) | null = null;
  protected status = 0;
  private answerHeaders: HeaderList = NO_HEADERS;
  /** What start() was given, until the queued dispatch takes it. */
  private startBody: Buffer | Readable | null = null;
  private contentLength = -1;
  private held: Buffer | null = null;
  private heldLength = 0;
  private streaming = false;
  protected settled = false;
  /** performance.now() at this try's dispatch, and when its answer's head came. */
  protected dispatchedAt = 0;
  protected headAt = 0;
  // The call is also the request the upstream client sends (UpstreamRequest): no request object
  // per try. Set at each dispatch; the client reads them until the answer ends.
  readonly method: string;
  readonly path: string;
  readonly headers: readonly string[];
  readonly host: string | null;
  readonly bodyLength: number;
  body: Buffer | Readable | null = null;
  timeout = 0;
  /** Once the head came, the longest pause in the body (the upstream's timeout.idle). */
  readonly idleTimeout: number;

  constructor(
    protected readonly ctx: RequestContext,
    protected target: Target,
    protected readonly opts: CallOptions,
  ) {
    this.method = ctx.method;
    this.path = opts.path;
    this.headers = opts.headers;
    this.host = opts.host;
    this.bodyLength = ctx.exchange.contentLength;
    this.idleTimeout = opts.idleTimeout;
    ctx.upstreamTarget = target.origin;
    ctx.exchange.onAbort(() => this.cancel(new ClientGoneError()));
  }

  /**
   * Sends the request once uWS has parsed everything it read on the client connection: a request
   * pipelined behind this one in that read makes uWS close the connection (this build does not
   * queue a request while one is pending), and the abort that follows must find the request not
   * yet sent, or the upstream would act on a request whose answer nobody can receive.
   * setImmediate runs in the same loop iteration, after the read's callback returned; one runs
   * every call started in that iteration (no Immediate and closure per request).
   */
  start(body: Buffer | Readable | null): void {
    // Set now: a cancel before the dispatch destroys a streamed body.
    this.body = body;
    this.startBody = body;
    queueStart(this);
  }

  /** The queued half of start(). */
  runStart(): void {
    const body = this.startBody;
    this.startBody = null;
    if (this.settled) return;
    try {
      this.dispatch(body);
    } catch (err) {
      this.ctx.exchange.fail(err, 'upstream dispatch');
    }
  }

  protected dispatch(body: Buffer | Readable | null): void {
    this.dispatchedAt = performance.now();
    this.body = body;
    this.timeout = this.tryTimeout();
    this.target.pool.dispatch(this, this);
  }

  /** The response timeout of this try (ResilientCall: what is left of the route's timeout). */
  protected tryTimeout(): number {
    return this.opts.timeout;
  }

  /** Stops the upstream side (client gone, body too large, body timeout). */
  cancel(err: Error): void {
    this.settled = true;
    if (this.body instanceof Readable) this.body.destroy();
    if (this.abortUpstream !== null) this.abortUpstream(err);
  }

  get responseStarted(): boolean {
    return this.status !== 0;
  }

  /** Called at dispatch, and again if the request waited for a free connection. */
  onStart(abort: (err: Error) => void): void {
    if (this.settled) abort(new ClientGoneError());
    else this.abortUpstream = abort;
  }

  // The handler methods are called by the upstream client from socket reads and timers: an
  // exception in them fails this request (Exchange.fail) and never reaches the client's code or
  // the worker's uncaughtException.

  onHead(statusCode: number, rawHeaders: (string | Buffer)[], contentLength: number, resume: () => void): void {
    try {
      this.headAt = performance.now();
      this.head(statusCode, rawHeaders, contentLength, resume);
    } catch (err) {
      this.ctx.exchange.fail(err, 'upstream response head handler');
    }
  }

  onData(chunk: Buffer): boolean {
    try {
      return this.data(chunk);
    } catch (err) {
      this.ctx.exchange.fail(err, 'upstream response body handler');
      return true;
    }
  }

  onComplete(): void {
    try {
      this.complete();
    } catch (err) {
      this.ctx.exchange.fail(err, 'upstream response end handler');
    }
  }

  onError(err: Error & { code?: string }): void {
    try {
      this.error(err);
    } catch (thrown) {
      this.ctx.exchange.fail(thrown, 'upstream error handler');
    }
  }

  protected head(statusCode: number, rawHeaders: (string | Buffer)[], contentLength: number, resume: () => void): void {
    this.ctx.upstreamMs = this.headAt - this.dispatchedAt;
    this.ctx.upstreamStatus = statusCode;
    this.opts.meter.answered(this.ctx.upstreamMs, statusCode);
    const headers = clientHeaders(rawHeaders, this.opts.responsePlan);
    this.status = statusCode;
    this.answerHeaders = headers;
    this.contentLength = contentLength;
    const ex = this.ctx.exchange;
    if (this.ctx.method === 'HEAD' || statusCode === 204 || statusCode === 304) {
      ex.replyNoBody(statusCode, headers, statusCode === 204 ? -1 : contentLength);
      return;
    }
    ex.onDrain(resume);
  }

  protected data(chunk: Buffer): boolean {
    const ex = this.ctx.exchange;
    if (ex.finished) return true;
    if (!this.streaming) {
      if (this.held === null && chunk.length === this.contentLength) {
        // The whole body in one chunk: the parser completes the message in this same call, so
        // the borrowed chunk is still valid when onComplete sends it.
        this.held = chunk;
        return true;
      }
      if (this.contentLength > 0 && this.contentLength <= COALESCE_LIMIT) {
        this.collect(chunk);
        return true;
      }
      this.streaming = true;
      ex.streamStart(this.status, this.answerHeaders, this.contentLength);
    }
    return ex.streamWrite(chunk);
  }

  /**
   * A body of known, bounded length arriving in several chunks is gathered and written in one
   * end(): per-chunk tryEnd() writes cost a syscall each (64 KiB bodies arrive in 4-5 chunks).
   * nginx buffers responses the same way (proxy_buffers).
   */
  private collect(chunk: Buffer): void {
    if (this.held === null) this.held = Buffer.allocUnsafe(this.contentLength);
    const room = this.held.length - this.heldLength;
    chunk.copy(this.held, this.heldLength, 0, Math.min(room, chunk.length));
    this.heldLength += chunk.length;
  }

  protected complete(): void {
    this.settled = true;
    const ex = this.ctx.exchange;
    if (ex.finished) return;
    if (this.streaming) ex.streamEnd();
    else if (this.held !== null && this.heldLength > 0 && this.heldLength !== this.held.length) ex.abort(); // upstream broke its Content-Length
    else ex.reply(this.status, this.answerHeaders, this.held ?? EMPTY);
  }

  protected error(err: Error & { code?: string }): void {
    const wasSettled = this.settled;
    this.settled = true;
    // The upstream failed to answer (a call this side cancelled, for the client, is not its failure).
    const unanswered = !wasSettled && this.status === 0 && this.dispatchedAt > 0;
    if (unanswered) this.ctx.upstreamMs = performance.now() - this.dispatchedAt;
    if (this.body instanceof Readable) this.body.destroy();
    const ex = this.ctx.exchange;
    if (err instanceof ClientGoneError || ex.aborted || (wasSettled && ex.finished)) return;
    const failure = classifyUpstreamError(err);
    this.opts.meter.failed(failure.kind, unanswered ? this.ctx.upstreamMs : -1);
    this.opts.log.warn({
      route: this.ctx.route.id, upstream: this.target.origin, requestId: this.ctx.requestId,
      kind: failure.kind, err: { code: err.code, message: err.message },
    }, 'upstream request failed');
    if (ex.finished) return;
    // Headers already went out: the only honest signal left is to cut the connection. A body
    // still being gathered has not been sent, so the client gets a clean 502 instead.
    if (this.streaming) ex.abort();
    else replyUpstreamFailure(this.ctx, failure);
  }
}

export class ClientGoneError extends Error {
  readonly code = 'TG_CLIENT_GONE';
  constructor() {
    super('client closed the connection');
  }
}
