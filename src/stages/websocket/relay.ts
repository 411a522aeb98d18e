import { performance } from 'node:perf_hooks';
import type { RequestContext } from '../../pipeline/context.js';
import { guarded } from '../../pipeline/guard.js';
import { SEND_DROPPED, type ClientSocket, type ClientSocketEvents, type WebSocketUpgrade } from '../../pipeline/websocket.js';
import type { WebSocketConfig } from '../../config/schema/websocket.js';
import type { UpstreamMeter } from '../../observability/request-meters.js';
import { openUpstreamSocket, type UpstreamSocket, type UpstreamSocketOptions } from '../../upstream/ws-client.js';
import { replyUpstreamFailure, type UpstreamFailure } from '../proxy/upstream-errors.js';
import type { OpenSockets } from './metrics.js';

/** What a route's websocket stage compiled once, shared by its relays. */
export interface RelaySettings {
  limits: WebSocketConfig;
  meter: UpstreamMeter;
  open: OpenSockets;
  /** The target's outcome, for its circuit breaker and passive health (null: not recorded). */
  record: ((ok: boolean) => void) | null;
}

const REFUSED: UpstreamFailure = { code: 'TG_UPSTREAM_FAILED', detail: 'The upstream refused the WebSocket upgrade.', kind: 'protocol' };
const UNREACHABLE: UpstreamFailure = { code: 'TG_UPSTREAM_FAILED', detail: 'The upstream could not be reached.', kind: 'connect' };
const TIMEOUT: UpstreamFailure = { code: 'TG_UPSTREAM_TIMEOUT', detail: 'The upstream did not accept the WebSocket in time.', kind: 'timeout' };

/** RFC 6455 §7.4: the codes a close frame may carry (1005, 1006 and 1015 only report what happened). */
function sendable(code: number): boolean {
  return (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999);
}

/**
 * One proxied WebSocket: the upstream's is opened first, and only once it is open is the client
 * upgraded (a failure before that is a problem answer, 502 or 504). Then messages pass both ways
 * as they come, text as text and binary as binary, with the route's limits:
 * - the client is slow: above maxBackpressure buffered for it, the upstream's connection is not
 *   read until uWS reports a drain that brought it back under;
 * - the upstream is slow: uWS cannot pause reading one WebSocket, so a client whose upstream has
 *   more than maxBackpressure unwritten is closed (1013) rather than buffered without bound;
 * - a message over maxPayloadLength closes both sides with 1009; idleTimeout without any message,
 *   ping or pong either way closes both with 1001;
 * - pings are answered where they arrive (uWS for the client, ws for the upstream), not relayed;
 * - a close on one side is passed to the other with its code and reason; a side lost without a
 *   close frame closes the other with 1001 (client lost) or 1014 (upstream lost).
 */
export class WebSocketRelay implements ClientSocketEvents {
  private client: ClientSocket | null = null;
  private readonly upstream: UpstreamSocket;
  private upstreamOpen = false;
  private upstreamDone = false;
  private clientDone = false;
  private paused = false;
  private lastActive = 0;
  private idleTimer: NodeJS.Timeout | null = null;
  private readonly startedAt = performance.now();

  constructor(
    private readonly ctx: RequestContext,
    private readonly upgrade: WebSocketUpgrade,
    private readonly s: RelaySettings,
    url: string,
    options: UpstreamSocketOptions,
  ) {
    const ex = ctx.exchange;
    this.upstream = openUpstreamSocket(url, options, {
      open: guarded(ex, 'upstream WebSocket open', (protocol: string) => this.upstreamOpened(protocol)),
      failed: guarded(ex, 'upstream WebSocket failure', (err: Error & { code?: string }, status: number) => this.upstreamFailed(err, status)),
      message: guarded(ex, 'upstream WebSocket message', (data: Buffer, binary: boolean) => this.fromUpstream(data, binary)),
      control: () => this.touch(),
      closed: guarded(ex, 'upstream WebSocket close', (code: number, reason: Buffer) => this.upstreamClosed(code, reason)),
    });
    // Gone before the upgrade: the upstream's WebSocket (open or opening) is not wanted.
    ex.onAbort(() => {
      this.upstreamDone = true;
      this.upstream.terminate();
    });
  }

  // --- the upstream's side ------------------------------------------------------------------

  private upstreamOpened(protocol: string): void {
    const ctx = this.ctx;
    ctx.upstreamMs = performance.now() - this.startedAt;
    ctx.upstreamStatus = 101;
    this.s.meter.answered(ctx.upstreamMs, 101);
    this.s.record?.(true);
    this.upstreamOpen = true;
    if (!this.upgrade.accept(this, protocol)) {
      this.upstreamDone = true;
      this.upstream.terminate();
    }
  }

  private upstreamFailed(err: Error & { code?: string }, status: number): void {
    this.upstreamDone = true;
    const ctx = this.ctx;
    if (ctx.exchange.finished) return;
    const failure = status !== 0 ? REFUSED : /timed out/i.test(err.message) ? TIMEOUT : UNREACHABLE;
    ctx.upstreamStatus = status;
    ctx.upstreamMs = performance.now() - this.startedAt;
    if (status !== 0) this.s.meter.answered(ctx.upstreamMs, status);
    else this.s.meter.failed(failure.kind, ctx.upstreamMs);
    this.s.record?.(status !== 0 && status < 500);
    replyUpstreamFailure(ctx, failure, true);
  }

  private fromUpstream(data: Buffer, binary: boolean): void {
    const client = this.client;
    if (client === null || this.clientDone) return;
    this.touch();
    if (client.send(data, binary) === SEND_DROPPED) {
      this.closeBoth(1011, 'gateway could not buffer the message');
      return;
    }
    if (!this.paused && client.bufferedAmount() > this.s.limits.maxBackpressure) {
      this.paused = true;
      this.upstream.pause();
    }
  }

  private upstreamClosed(code: number, reason: Buffer): void {
    this.upstreamDone = true;
    if (this.clientDone || this.client === null) return;
    this.clientDone = true;
    if (sendable(code)) this.client.end(code, reason);
    else if (code === 1005) this.client.end(0, '');
    else this.client.end(1014, 'upstream connection lost');
  }

  // --- the client's side (ClientSocketEvents) -------------------------------------------------

  opened(socket: ClientSocket): void {
    this.client = socket;
    this.s.open.opened();
    this.touch();
    const idle = this.s.limits.idleTimeout;
    if (idle > 0) this.armIdle(idle);
  }

  message(data: ArrayBuffer, binary: boolean): void {
    if (this.upstreamDone) return;
    this.touch();
    if (data.byteLength > this.s.limits.maxPayloadLength) {
      this.closeBoth(1009, 'message too big');
      return;
    }
    // uWS reuses the message's memory once this returns, and ws may queue it: a copy.
    this.upstream.send(Buffer.from(new Uint8Array(data)), binary);
    if (this.upstream.bufferedAmount > this.s.limits.maxBackpressure) this.closeBoth(1013, 'upstream is not keeping up');
  }

  drain(): void {
    if (this.paused && this.client !== null && this.client.bufferedAmount() <= this.s.limits.maxBackpressure) {
      this.paused = false;
      if (!this.upstreamDone) this.upstream.resume();
    }
  }

  control(): void {
    this.touch();
  }

  closed(code: number, reason: ArrayBuffer): void {
    this.clientDone = true;
    this.s.open.closed();
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    if (this.upstreamDone) return;
    this.upstreamDone = true;
    if (!this.upstreamOpen) this.upstream.terminate();
    else if (sendable(code)) this.upstream.close(code, Buffer.from(new Uint8Array(reason)));
    else if (code === 1005) this.upstream.close();
    else this.upstream.close(1001, 'client connection lost');
  }

  // --- both -------------------------------------------------------------------------------------

  private closeBoth(code: number, reason: string): void {
    if (!this.clientDone && this.client !== null) {
      this.clientDone = true;
      this.client.end(code, reason);
    }
    if (!this.upstreamDone) {
      this.upstreamDone = true;
      this.upstream.close(code, reason);
    }
  }

  private touch(): void {
    this.lastActive = performance.now();
  }

  /** One timer per relay, re-armed for what is left rather than refreshed per message. */
  private armIdle(ms: number): void {
    this.idleTimer = setTimeout(guarded(this.ctx.exchange, 'websocket idle timer', () => {
      this.idleTimer = null;
      if (this.clientDone) return;
      const left = this.lastActive + ms - performance.now();
      if (left > 0) this.armIdle(left);
      else this.closeBoth(1001, 'idle timeout');
    }), ms);
    this.idleTimer.unref();
  }
}
