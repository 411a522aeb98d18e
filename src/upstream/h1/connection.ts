import net from 'node:net';
import { performance } from 'node:perf_hooks';
import tls from 'node:tls';
import type { Readable } from 'node:stream';
import { ResponseParser, type ResponseSink } from './response-parser.js';
import { UpstreamError, type UpstreamHandler, type UpstreamRequest } from './types.js';

/** What a connection needs from its pool. */
export interface ConnectionOwner {
  readonly host: string;
  /** The exchange finished cleanly and the socket may carry another request. */
  release(conn: H1Connection): void;
  /** The socket is gone (or going): forget it. */
  removed(conn: H1Connection): void;
  /** Sends a request again on a fresh connection (a reused socket died before answering). */
  retry(req: UpstreamRequest, handler: UpstreamHandler): void;
}

export interface Endpoint {
  tls: boolean;
  hostname: string;
  port: number;
  connectTimeout: number;
}

const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);
// Request-line targets may not contain whitespace or control characters (request splitting).
const BAD_TARGET = /[\x00-\x20\x7f]/;
// Anything but HTAB and visible ASCII plus space sends a header name or value to the slow check.
const NOT_PLAIN = /[^\t\x20-\x7e]/;
// Never written, whatever the caller passed: a CR, LF or NUL would end the line or the head early.
const SPLITS_LINE = /[\0\r\n]/;
// Header names are tokens: no separators, no whitespace, nothing beyond ASCII.
const BAD_NAME = /[^!#$%&'*+\-.^_`|~0-9A-Za-z]/;
// Methods whose semantics say a repeat is harmless (RFC 9110 §9.2.2): a request that died on a
// reused keep-alive socket before any answer byte may be sent once more on a fresh one.
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);
// undici and Node send `content-length: 0` for these when there is no body; some servers insist.
const EXPECTS_BODY = new Set(['POST', 'PUT', 'PATCH']);

/**
 * One keep-alive HTTP/1.1 connection to an upstream target, carrying one request at a time (no
 * pipelining). The request head is written in one write() (with a buffered body in the same
 * writev); the response is parsed by ResponseParser and handed to the request's handler.
 */
export class H1Connection implements ResponseSink {
  readonly socket: net.Socket;
  private readonly parser = new ResponseParser(this);
  private handler: UpstreamHandler | null = null;
  private req: UpstreamRequest | null = null;
  /** Bumped per request so a stale abort/resume closure cannot touch a later request. */
  private gen = 0;
  /** `gen` when the current answer's head came (resumeAnswer). */
  private headGen = -1;
  private requestSent = false;
  /** The answer's head came: the body's idle timeout runs instead of the response timeout. */
  private headed = false;
  private paused = false;
  private connected = false;
  private gone = false;
  private reused = false;
  /**
   * One timer for the connection's life (see arm): it fires every `timerMs` after the last
   * activity, and onTimer checks the running phase's own limit (`limitMs` since `activeAt`).
   */
  private timer: NodeJS.Timeout | null = null;
  private timerMs = 0;
  /** The timer is the connect timer, or one cut short to a phase's remainder: the next arm() starts a new one. */
  private timerOneOff = false;
  private limitMs = 0;
  private activeAt = 0;
  private bodyStream: Readable | null = null;
  idleSince = 0;
  /** How long this socket may sit idle before it is closed (the upstream's Keep-Alive hint wins). */
  keepAliveLimit: number;

  constructor(private readonly owner: ConnectionOwner, endpoint: Endpoint, keepAliveTimeout: number) {
    this.keepAliveLimit = keepAliveTimeout;
    const socket = endpoint.tls
      ? tls.connect({
        host: endpoint.hostname,
        port: endpoint.port,
        servername: net.isIP(endpoint.hostname) === 0 ? endpoint.hostname : undefined,
        ALPNProtocols: ['http/1.1'],
      })
      : net.connect({
        host: endpoint.hostname, port: endpoint.port, noDelay: true, keepAlive: true, keepAliveInitialDelay: 60_000,
        // Plain sockets read straight into one buffer shared by every connection of this thread
        // (no Readable stream, no allocation per read; a 64 KiB answer fits one read). What the
        // parser hands on is borrowed for the duration of the call (see UpstreamHandler.onData).
        onread: { buffer: READ_BUFFER, callback: (n: number, buf: Uint8Array) => this.onSocketRead(n, buf) },
      });
    if (endpoint.tls) socket.setNoDelay(true);
    this.socket = socket;
    this.arm(endpoint.connectTimeout);
    this.timerOneOff = true;
    socket.once(endpoint.tls ? 'secureConnect' : 'connect', () => {
      this.connected = true;
      if (this.handler !== null) this.startResponseClock();
    });
    if (endpoint.tls) socket.on('data', (chunk: Buffer) => this.onSocketData(chunk));
    socket.on('end', () => this.onSocketEnd());
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new UpstreamError('TG_UP_CLOSED', 'upstream closed the connection')));
  }

  /** True when the socket may take a request now. */
  usable(now: number): boolean {
    return !this.gone && this.handler === null && now - this.idleSince < this.keepAliveLimit;
  }

  run(req: UpstreamRequest, handler: UpstreamHandler): void {
    const gen = ++this.gen;
    this.req = req;
    this.handler = handler;
    this.requestSent = false;
    this.headed = false;
    this.paused = false;
    this.parser.expect(req.method);
    handler.onStart((err) => {
      if (this.gen === gen) this.abandon(err);
    });
    if (this.handler !== handler) return; // aborted at once
    const encoding = headEncoding(req);
    if (encoding === null) {
      this.finishWithError(new UpstreamError('TG_UP_BAD_REQUEST', 'invalid request target or header'), true);
      return;
    }
    this.write(req, gen, encoding);
    if (this.connected) this.startResponseClock();
  }

  /** Closes the socket now; a request on it fails. */
  destroy(): void {
    this.gone = true;
    this.socket.destroy();
  }

  private write(req: UpstreamRequest, gen: number, encoding: BufferEncoding): void {
    const socket = this.socket;
    const body = req.body;
    const chunked = body !== null && !Buffer.isBuffer(body) && req.bodyLength < 0;
    const framing = body === null
      ? (EXPECTS_BODY.has(req.method) ? 'content-length: 0\r\n\r\n' : '\r\n')
      : Buffer.isBuffer(body)
        ? 'content-length: ' + body.length + '\r\n\r\n'
        : chunked ? 'transfer-encoding: chunked\r\n\r\n' : 'content-length: ' + req.bodyLength + '\r\n\r\n';
    const head = renderHead(req, req.host ?? this.owner.host, framing, encoding);
    if (body === null) {
      socket.write(head);
      this.requestSent = true;
    } else if (Buffer.isBuffer(body)) {
      if (body.length === 0) socket.write(head);
      else {
        socket.cork();
        socket.write(head);
        socket.write(body);
        socket.uncork();
      }
      this.requestSent = true;
    } else {
      socket.write(head);
      this.pipeBody(body, chunked, gen);
    }
  }

  /** Streams a request body with backpressure; chunked framing when its length is unknown. */
  private pipeBody(stream: Readable, chunked: boolean, gen: number): void {
    const socket = this.socket;
    this.bodyStream = stream;
    let waiting = false;
    const onDrain = (): void => {
      waiting = false;
      if (this.gen === gen) stream.resume();
    };
    stream.on('data', (chunk: Buffer) => {
      if (this.gen !== gen || this.gone) return;
      let ok: boolean;
      if (chunked) {
        socket.cork();
        socket.write(chunk.length.toString(16) + '\r\n', 'latin1');
        socket.write(chunk);
        ok = socket.write('\r\n', 'latin1');
        socket.uncork();
      } else ok = socket.write(chunk);
      if (!ok && !waiting) {
        waiting = true;
        stream.pause();
        socket.once('drain', onDrain);
      }
    });
    stream.once('end', () => {
      if (this.gen !== gen || this.gone) return;
      if (chunked) socket.write('0\r\n\r\n', 'latin1');
      this.requestSent = true;
      this.bodyStream = null;
      if (this.connected) this.startResponseClock();
    });
    stream.once('error', (err) => {
      if (this.gen === gen) this.abandon(err);
    });
  }

  private onSocketRead(n: number, buf: Uint8Array): boolean {
    this.onSocketData((buf as Buffer).subarray(0, n));
    return !this.paused;
  }

  private onSocketData(chunk: Buffer): void {
    if (this.handler === null) {
      // Bytes nobody asked for: the connection's framing can no longer be trusted.
      this.destroy();
      return;
    }
    try {
      this.parser.execute(chunk);
    } catch (err) {
      this.finishWithError(err as Error, false);
    }
  }

  private onSocketEnd(): void {
    if (this.handler !== null && !this.parser.eof()) {
      this.finishWithError(new UpstreamError('TG_UP_CLOSED', 'upstream closed the connection before the response was complete'), false);
    }
    this.destroy();
  }

  // --- ResponseSink -----------------------------------------------------------------------

  onResponseHead(status: number, headers: (string | Buffer)[], contentLength: number): void {
    this.headed = true;
    this.headGen = this.gen;
    this.startResponseClock();
    this.handler!.onHead(status, headers, contentLength, this.resumeAnswer);
  }

  /**
   * The resume function every answer's handler gets (one per connection, not a closure per
   * answer): reads on once the client drained, for the answer whose head came last, and only
   * while that answer's exchange is still running (gen).
   */
  private readonly resumeAnswer = (): void => {
    if (this.gen !== this.headGen || !this.paused) return;
    this.paused = false;
    this.touch();
    // First what the parser held back when it paused (it may pause again), then the socket.
    try {
      this.parser.resume();
    } catch (err) {
      this.finishWithError(err as Error, false);
      return;
    }
    if (!this.paused && !this.gone) this.socket.resume();
  };

  onResponseBody(chunk: Buffer): boolean {
    const handler = this.handler;
    if (handler === null) return true;
    const gen = this.gen;
    this.touch();
    if (!handler.onData(chunk) && this.gen === gen) {
      // The client is full: stop reading; the parser keeps the rest of this read until resume.
      this.paused = true;
      this.socket.pause();
      return false;
    }
    return true;
  }

  onResponseEnd(trailing: boolean): void {
    const handler = this.handler;
    if (handler === null) return;
    const reusable = this.parser.keepAlive && !trailing && this.requestSent && !this.gone;
    this.handler = null;
    this.req = null;
    this.gen++;
    if (this.bodyStream !== null) {
      // The upstream answered before the whole request body was sent (e.g. an early 413).
      this.bodyStream.destroy();
      this.bodyStream = null;
    }
    if (this.paused) {
      this.paused = false;
      this.socket.resume();
    }
    if (reusable) {
      this.reused = true;
      const hint = this.parser.keepAliveTimeout;
      // Stop using the socket a second before the upstream would close it (half-way for short hints).
      if (hint > 0) this.keepAliveLimit = Math.min(this.keepAliveLimit, hint > 2 ? hint * 1000 - 1000 : hint * 500);
    } else this.destroy();
    handler.onComplete();
    if (reusable && !this.gone) this.owner.release(this);
  }

  // --- failure ------------------------------------------------------------------------------

  private readonly onTimer = (): void => {
    if (this.handler === null) {
      if (!this.connected && !this.gone) this.destroy(); // connect timed out on a spare socket
      return;
    }
    if (this.paused) {
      this.touch(); // the client is slow, not the upstream
      return;
    }
    const left = this.activeAt + this.limitMs - performance.now();
    if (left >= 1) {
      // Fired for a shorter phase's period: the running phase has time left.
      if (left >= this.timerMs && !this.timerOneOff) this.timer!.refresh();
      else {
        this.startTimer(Math.ceil(left));
        this.timerOneOff = true;
      }
      return;
    }
    this.finishWithError(this.connected
      ? new UpstreamError('TG_UP_TIMEOUT', 'upstream response timed out')
      : new UpstreamError('TG_UP_CONNECT_TIMEOUT', 'upstream connect timed out'), true);
  };

  /**
   * The response timeout runs from the moment the whole request is written, or the answer began
   * (an early answer to an upload). While the client is still uploading, its body is governed by
   * limits.requestTimeout instead: a slow upload is not a slow upstream.
   */
  private startResponseClock(): void {
    const req = this.req!;
    if (this.requestSent || this.parser.started) this.arm(this.headed ? req.idleTimeout ?? req.timeout : req.timeout);
    else if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  /**
   * Starts a phase's clock: `ms` from now, restarted by every touch(). The response timeout and
   * the body's idle timeout usually differ (10s and 60s by default): switching one Node timer
   * between them would clear and create a timer twice per request. The connection's one timer
   * keeps the shortest period it was armed with and is only refreshed; when it fires inside a
   * longer phase, onTimer finds time left and waits on.
   */
  private arm(ms: number): void {
    this.limitMs = ms;
    this.activeAt = performance.now();
    if (this.timer !== null && !this.timerOneOff && this.timerMs <= ms) this.timer.refresh();
    else this.startTimer(ms);
  }

  /** Activity within the running phase (a body chunk, a resume): its clock starts again. */
  private touch(): void {
    if (this.timer === null) return;
    this.activeAt = performance.now();
    this.timer.refresh();
  }

  private startTimer(ms: number): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timerMs = ms;
    this.timerOneOff = false;
    this.timer = setTimeout(this.onTimer, ms);
    this.timer.unref();
  }

  /** The caller gave up (client gone, body too large): the socket cannot be reused mid-exchange. */
  private abandon(err: Error): void {
    this.finishWithError(err, true);
  }

  /** A socket error or close: fails the current request, if any, and forgets the connection. */
  private fail(err: Error): void {
    if (!this.gone) {
      this.gone = true;
      this.socket.destroy();
    }
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.owner.removed(this);
    if (this.handler !== null) this.finishWithError(err, false);
  }

  private finishWithError(err: Error, noRetry: boolean): void {
    const handler = this.handler;
    const req = this.req;
    this.handler = null;
    this.req = null;
    this.gen++;
    this.parser.stop();
    this.bodyStream = null;
    if (!this.gone) this.destroy();
    this.owner.removed(this);
    if (handler === null || req === null) return;
    // A keep-alive socket the upstream closed while it sat idle: nothing was answered, so an
    // idempotent request with a replayable body goes once more on a fresh connection.
    if (!noRetry && this.reused && !this.parser.started && isClosure(err) && IDEMPOTENT.has(req.method) && !(req.body !== null && !Buffer.isBuffer(req.body))) {
      this.owner.retry(req, handler);
      return;
    }
    handler.onError(err);
  }
}

const HTTP11_HOST = ' HTTP/1.1\r\nhost: ';

/**
 * The request head as bytes: written character by character into one Buffer when it is all
 * ASCII (headEncoding said latin1), which leaves no garbage but the Buffer; joining the pieces as
 * strings made an intermediate string per piece (about 800 bytes per request with the usual
 * forwarded headers), and the socket then flattened and encoded the result. UTF-8 heads, rare,
 * take the string way.
 */
export function renderHead(req: UpstreamRequest, host: string, framing: string, encoding: BufferEncoding): Buffer {
  const h = req.headers;
  if (encoding !== 'latin1') {
    let head = req.method + ' ' + req.path + HTTP11_HOST + host + '\r\n';
    for (let i = 0; i < h.length; i += 2) head += h[i] + ': ' + h[i + 1] + '\r\n';
    return Buffer.from(head + framing, encoding);
  }
  let length = req.method.length + 1 + req.path.length + HTTP11_HOST.length + host.length + 2 + framing.length;
  for (let i = 0; i < h.length; i += 2) length += h[i]!.length + h[i + 1]!.length + 4;
  const buf = Buffer.allocUnsafe(length);
  let at = put(buf, 0, req.method);
  buf[at++] = 32;
  at = put(buf, at, req.path);
  at = put(buf, at, HTTP11_HOST);
  at = put(buf, at, host);
  buf[at++] = 13;
  buf[at++] = 10;
  for (let i = 0; i < h.length; i += 2) {
    at = put(buf, at, h[i]!);
    buf[at++] = 58;
    buf[at++] = 32;
    at = put(buf, at, h[i + 1]!);
    buf[at++] = 13;
    buf[at++] = 10;
  }
  put(buf, at, framing);
  return buf;
}

/** Writes an ASCII string at `at`; returns the end. */
function put(buf: Buffer, at: number, text: string): number {
  for (let i = 0; i < text.length; i++) buf[at++] = text.charCodeAt(i);
  return at;
}

/**
 * The last line of defence against request splitting, whatever the caller passed: null when the
 * target or a header name or value could end a line or the head early (CR, LF, NUL), or a name
 * is not a token. Otherwise the encoding of the head: latin1 (one byte per char, the cheapest)
 * when it is all ASCII, else UTF-8, which gives back the bytes uWS decoded for non-ASCII values
 * (latin1 would keep the low byte of each UTF-16 unit: U+010A would become LF).
 */
export function headEncoding(req: UpstreamRequest): BufferEncoding | null {
  let encoding: BufferEncoding = 'latin1';
  if (BAD_NAME.test(req.method)) return null;
  if (req.host !== null && NOT_PLAIN.test(req.host)) {
    if (SPLITS_LINE.test(req.host)) return null;
    encoding = 'utf8';
  }
  if (NOT_PLAIN.test(req.path)) {
    if (BAD_TARGET.test(req.path)) return null;
    encoding = 'utf8';
  } else if (req.path.indexOf(' ') >= 0) return null;
  const h = req.headers;
  for (let i = 0; i < h.length; i += 2) {
    const name = h[i]!;
    const value = h[i + 1]!;
    if (BAD_NAME.test(name) || name === '') return null;
    if (NOT_PLAIN.test(value)) {
      if (SPLITS_LINE.test(value)) return null;
      encoding = 'utf8';
    }
  }
  return encoding;
}

function isClosure(err: Error & { code?: string }): boolean {
  return err.code === 'TG_UP_CLOSED' || err.code === 'ECONNRESET' || err.code === 'EPIPE';
}
