import { performance } from 'node:perf_hooks';
import { H1Connection, type ConnectionOwner, type Endpoint } from './connection.js';
import { UpstreamError, type UpstreamHandler, type UpstreamRequest } from './types.js';

export interface PoolOptions {
  /** Most sockets open to the target at once; further requests wait in a queue. */
  connections: number;
  connectTimeout: number;
  /** Idle keep-alive sockets are closed after this long (or sooner if the upstream says so). */
  keepAliveTimeout: number;
}

/** What a pool holds at one moment (metrics). */
export interface PoolFigures {
  /** Connections carrying a request (or connecting for one). */
  busy: number;
  idle: number;
  /** Requests waiting for a connection. */
  queued: number;
}

interface Waiting {
  req: UpstreamRequest;
  handler: UpstreamHandler;
  cancelled: boolean;
  /** performance.now() past which it stops waiting: the time in the queue counts toward its timeout. */
  deadline: number;
}

const SWEEP_INTERVAL = 1_000;

/**
 * The keep-alive connections of one worker to one upstream target. The most recently used idle
 * socket is taken first (its upstream side is the least likely to have timed it out); sockets
 * idle past their limit are closed by a once-a-second sweep instead of a timer per socket.
 *
 * A closed pool (its generation was replaced by a reload) keeps no idle socket but still serves
 * what its generation gave it: the requests in flight and those waiting in its queue. Failing
 * them would fail requests that a reload must carry through (SPEC §6).
 */
export class H1Pool implements ConnectionOwner {
  readonly host: string;
  private readonly endpoint: Endpoint;
  private readonly idle: H1Connection[] = [];
  private readonly all = new Set<H1Connection>();
  private readonly queue: Waiting[] = [];
  private readonly sweeper: NodeJS.Timeout;
  /** Resolves `closed` once the closed pool has nothing left to serve. */
  private closing: (() => void) | null = null;
  private queueTimer: NodeJS.Timeout | null = null;
  private closed: Promise<void> | null = null;

  constructor(origin: string, private readonly opts: PoolOptions) {
    const url = new URL(origin);
    const secure = url.protocol === 'https:';
    this.host = url.host;
    this.endpoint = {
      tls: secure,
      hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
      port: url.port === '' ? (secure ? 443 : 80) : Number(url.port),
      connectTimeout: opts.connectTimeout,
    };
    this.sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL);
    this.sweeper.unref();
  }

  dispatch(req: UpstreamRequest, handler: UpstreamHandler): void {
    const conn = this.takeIdle();
    if (conn !== null) conn.run(req, handler);
    else if (this.all.size < this.opts.connections) this.open().run(req, handler);
    else {
      const w: Waiting = { req, handler, cancelled: false, deadline: performance.now() + req.timeout };
      this.queue.push(w);
      handler.onStart((err) => {
        if (w.cancelled) return;
        w.cancelled = true;
        handler.onError(err);
      });
      this.armQueueTimer();
    }
  }

  figures(): PoolFigures {
    let queued = 0;
    for (const w of this.queue) if (!w.cancelled) queued++;
    return { busy: this.all.size - this.idle.length, idle: this.idle.length, queued };
  }

  release(conn: H1Connection): void {
    const next = this.nextWaiting();
    if (next !== null) {
      conn.run(next.req, next.handler);
      return;
    }
    if (this.closed !== null) {
      conn.destroy();
      return;
    }
    conn.idleSince = Date.now();
    this.idle.push(conn);
  }

  removed(conn: H1Connection): void {
    if (!this.all.delete(conn)) return;
    const at = this.idle.indexOf(conn);
    if (at >= 0) this.idle.splice(at, 1);
    // A slot freed: a waiting request gets a new socket.
    if (this.queue.length > 0 && this.all.size < this.opts.connections) {
      const next = this.nextWaiting();
      if (next !== null) this.open().run(next.req, next.handler);
    }
    // After the microtask: a connection reports its removal before it hands a request to retry().
    if (this.closing !== null) queueMicrotask(this.settleClose);
  }

  retry(req: UpstreamRequest, handler: UpstreamHandler): void {
    this.open().run(req, handler);
  }

  /**
   * Keeps no idle socket from now on; resolves once the requests in flight and those waiting
   * have finished and every socket is closed. Requests dispatched meanwhile are still served.
   */
  close(): Promise<void> {
    if (this.closed !== null) return this.closed;
    clearInterval(this.sweeper);
    this.closed = new Promise<void>((resolve) => {
      this.closing = resolve;
    });
    for (const c of this.idle.splice(0)) c.destroy();
    this.settleClose();
    return this.closed;
  }

  private readonly settleClose = (): void => {
    if (this.closing === null || this.all.size > 0 || this.queue.some((w) => !w.cancelled)) return;
    const done = this.closing;
    this.closing = null;
    done();
  };

  private open(): H1Connection {
    const conn = new H1Connection(this, this.endpoint, this.opts.keepAliveTimeout);
    this.all.add(conn);
    return conn;
  }

  private takeIdle(): H1Connection | null {
    const idle = this.idle;
    if (idle.length === 0) return null;
    const now = Date.now();
    while (idle.length > 0) {
      const conn = idle.pop()!;
      if (conn.usable(now)) return conn;
      conn.destroy();
    }
    return null;
  }

  /**
   * While requests wait for a socket, one timer fails those whose timeout ran out in the queue
   * (a stuck upstream holding every connection must not hold the queue for timeout x depth).
   */
  private armQueueTimer(): void {
    if (this.queueTimer !== null) return;
    let next = Infinity;
    for (const w of this.queue) if (!w.cancelled && w.deadline < next) next = w.deadline;
    if (next === Infinity) return;
    this.queueTimer = setTimeout(() => {
      this.queueTimer = null;
      const now = performance.now();
      for (const w of this.queue) {
        if (w.cancelled || w.deadline > now) continue;
        w.cancelled = true;
        w.handler.onError(new UpstreamError('TG_UP_TIMEOUT', 'no upstream connection became free in time'));
      }
      while (this.queue.length > 0 && this.queue[0]!.cancelled) this.queue.shift();
      this.armQueueTimer();
    }, Math.max(1, next - performance.now()));
    this.queueTimer.unref();
  }

  /** The oldest request still waiting, its timeout cut to what is left of it; expired ones fail. */
  private nextWaiting(): Waiting | null {
    while (this.queue.length > 0) {
      const w = this.queue.shift()!;
      if (w.cancelled) continue;
      w.cancelled = true; // its abort now belongs to the connection
      const left = Math.ceil(w.deadline - performance.now());
      if (left <= 0) {
        w.handler.onError(new UpstreamError('TG_UP_TIMEOUT', 'no upstream connection became free in time'));
        continue;
      }
      if (left < w.req.timeout) w.req = { ...w.req, timeout: left };
      return w;
    }
    return null;
  }

  private sweep(): void {
    const now = Date.now();
    for (let i = this.idle.length - 1; i >= 0; i--) {
      const conn = this.idle[i]!;
      if (!conn.usable(now)) {
        this.idle.splice(i, 1);
        conn.destroy();
      }
    }
  }
}
