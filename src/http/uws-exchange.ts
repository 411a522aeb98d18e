import type { HttpResponse } from 'uWebSockets.js';
import type { Exchange, HeaderList } from '../pipeline/exchange.js';
import type { RequestContext } from '../pipeline/context.js';
import type { WebSocketUpgrade } from '../pipeline/websocket.js';
import { replyProblem } from '../pipeline/problem-reply.js';
import { headBytes, linePrefix, putHeader, putLine, putLines, putWritten, startHead } from './head-block.js';
import { newRequestIdWords, REQUEST_ID_LENGTH, requestIdText, writeRequestId, type RequestIdWords } from './request-id.js';
import { storedHasServer } from '../cache/render-head.js';
import type { UwsQuirks } from './uws-builds.js';

/** What one worker gives each of its exchanges. */
export interface ExchangeHooks {
  draining(): boolean;
  onFinish(ex: UwsExchange): void;
  /** An exception was caught for this request (see fail): logs it with the request id. Must not throw. */
  onError(ex: UwsExchange, err: unknown, where: string): void;
  /**
   * Written on every answer after X-Request-Id: a flat name/value list, empty in production. With
   * the test-only fault injection on, it names the worker (x-tollgate-worker) so that a test can
   * tell which worker answered.
   */
  answerHeaders: readonly string[];
}

const NO_HEADERS: readonly string[] = [];
const X_REQUEST_ID = linePrefix('x-request-id');
const SERVER = linePrefix('server');

/** Names in an answer's header list are lowercase: the upstream's are lowercased, configured ones too. */
function hasServerHeader(headers: HeaderList): boolean {
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === 'server') return true;
  return false;
}

/**
 * The pipeline's Exchange over one uWS HttpResponse. Every write happens corked so the status
 * line, headers and body leave in one send() where they fit: inside the request handler uWS has
 * the connection corked already (both builds; an answer given there skips res.cork(), a native
 * call and a call back into JavaScript), later inside res.cork().
 *
 * The abort callback is attached when the handler returns without having completed the answer
 * (leaveHandler): uWS only requires one then, and an answer given at once (a cache hit, a
 * `respond` route) costs no native call and no closure for it.
 */
export class UwsExchange implements Exchange, RequestIdWords {
  aborted = false;
  finished = false;
  /**
   * The client's Connection header ends the connection with this exchange (close, upgrade): the
   * answer is written after uWS has parsed the read (see reply), so nothing behind it is routed.
   */
  closeRequested = false;
  /** Set by the edge once the request is routed; read by the finish listener for the access log. */
  ctx: RequestContext | null = null;
  method = '';
  path = '';
  /** What the client sent, for the access log (path: normalised once routed). */
  rawPath = '';
  query = '';
  headers: readonly string[] = NO_HEADERS;
  /** The client's address once read (remoteAddress); null: not yet. */
  private address: string | null = null;
  startTime = 0;
  status = 0;
  bytesWritten = 0;
  bytesRead = 0;
  /** Set by the edge on a WebSocket upgrade request (websocket-edge.ts). */
  upgrade: WebSocketUpgrade | null = null;
  private abortCb: (() => void) | null = null;
  private drainCb: (() => void) | null = null;
  private headStatus = 0;
  private headHeaders: HeaderList = NO_HEADERS;
  private headWritten = false;
  private totalSize = -1;
  private pending: Buffer | null = null;
  private pendingBase = 0;
  private writableHooked = false;
  private paused = false;
  /** readBody was called, and its last chunk arrived. */
  private reading = false;
  private bodyDone = false;
  private failing = false;
  /** The edge's handler for this request is still running (see leaveHandler). */
  private inHandler = true;
  /** The uWS response is complete (ended, closed, upgraded): uWS forbids touching it from now on. */
  private resDone = false;
  /** The request id as text: the client's, or the generated one once read (requestId); null: not yet. */
  private id: string | null;
  // The generated id until it is text (request-id.ts), written into the head from here.
  idA = 0;
  idB = 0;
  idC = 0;
  idD = 0;

  constructor(
    private readonly res: HttpResponse,
    readonly contentLength: number,
    /** The client's X-Request-Id when it is one to keep (clientRequestId); null: one is generated. */
    clientId: string | null,
    private readonly hooks: ExchangeHooks,
    private readonly quirks: UwsQuirks,
    /** serverTokens: the Server header of an answer that has none of its own; null: none. */
    private readonly serverHeader: string | null,
  ) {
    this.id = clientId;
    if (clientId === null) newRequestIdWords(this);
  }

  /** The client's X-Request-Id when well-formed, else the generated one (made text on first read). */
  get requestId(): string {
    let id = this.id;
    if (id === null) {
      id = requestIdText(this);
      this.id = id;
    }
    return id;
  }

  /**
   * The edge's handler returned (uWS's cork is gone; later writes cork themselves). uWS requires
   * an abort callback on a response the handler leaves incomplete, attached before it returns.
   */
  leaveHandler(): void {
    this.inHandler = false;
    if (!this.resDone) this.res.onAborted(() => this.clientGone());
  }

  private clientGone(): void {
    this.aborted = true;
    if (this.finished) return;
    this.finished = true;
    // Nothing can be answered any more: an exception in the callback is only logged, and the request ends.
    this.runAbortCallback('abort callback');
    this.hooks.onFinish(this);
  }

  /** Calls the stage's abort callback once, if one is set; an exception in it is logged as `where`. */
  private runAbortCallback(where: string): void {
    const cb = this.abortCb;
    this.abortCb = null;
    if (cb === null) return;
    try {
      cb();
    } catch (err) {
      this.hooks.onError(this, err, where);
    }
  }

  /** Runs `writes` corked: at once inside the handler (uWS corked the connection), else in res.cork(). */
  private corked(writes: () => void): void {
    if (this.inHandler) writes();
    else this.res.cork(writes);
  }

  /**
   * The peer's address, read from uWS on first use: a getpeername() system call per read, so an
   * answer that never needs it does not pay for it. uWS forbids touching the response once its
   * answer is complete or it was aborted: an address not read before then is ''.
   */
  get remoteAddress(): string {
    let a = this.address;
    if (a === null) {
      a = this.finished ? '' : remoteAddressOf(this.res);
      this.address = a;
    }
    return a;
  }

  /** Reads the address now (the access log needs it after the answer). */
  readRemoteAddress(): void {
    if (this.address === null) this.address = remoteAddressOf(this.res);
  }

  get hasBody(): boolean {
    return this.contentLength !== 0;
  }

  /**
   * The upgrade was accepted (101): the HTTP response is gone. The exchange stays in flight (the
   * app is not closed under it, a drain waits for it) until the WebSocket closes.
   */
  upgraded(): void {
    this.finished = true;
    this.resDone = true;
    this.status = 101;
    this.abortCb = null;
  }

  /** The upgraded WebSocket closed: its bytes count as this exchange's, and it finishes (access log, metering). */
  socketClosed(bytesIn: number, bytesOut: number): void {
    this.bytesRead += bytesIn;
    this.bytesWritten += bytesOut;
    this.hooks.onFinish(this);
  }

  onAbort(cb: () => void): void {
    this.abortCb = cb;
  }

  readBody(onChunk: (chunk: Buffer, last: boolean) => void): void {
    this.reading = true;
    // uWS reuses the memory behind `ab` once the callback returns: copy every chunk.
    this.res.onData((ab, last) => {
      this.bytesRead += ab.byteLength;
      if (last) this.bodyDone = true;
      try {
        onChunk(Buffer.from(new Uint8Array(ab)), last);
      } catch (err) {
        this.fail(err, 'request body callback');
      }
    });
  }

  /**
   * Whether the connection closes after this answer: while draining, and when the answer comes
   * before the request body was read whole (an early answer to an upload: the rest is not wanted).
   */
  private closeAfter(): boolean {
    return this.closeRequested || this.hooks.draining() || (this.reading && !this.bodyDone);
  }

  /**
   * Called before an answer completes without uWS's close flag. A paused upload must not stay
   * paused: uWS would read nothing more on the connection (not even the next request) until its
   * idle timeout. Resumed, the rest of the body is read and dropped (readers ignore chunks once
   * the exchange is finished). Never together with the close flag: end(body, true) after
   * resume() parses bytes already buffered as a new request. And never after the answer
   * completed: uWS forbids touching the response then.
   */
  private unpause(): void {
    if (!this.paused) return;
    this.paused = false;
    this.res.resume();
  }

  // resume() on a connection that is not paused stalls its reads (quirk resumeUnpausedStalls,
  // both builds): track it.
  pauseBody(): void {
    if (this.finished || this.paused) return;
    this.paused = true;
    this.res.pause();
  }

  resumeBody(): void {
    if (this.finished || !this.paused) return;
    this.paused = false;
    this.res.resume();
  }

  reply(status: number, headers: HeaderList, body: string | Buffer, closeConnection = false): void {
    if (!this.begin(status)) return;
    if (closeConnection || this.closeRequested) {
      // uWS goes on parsing the bytes it already read on this connection after end(body, true):
      // a request hidden behind a refused one (a CL.CL or TE desync), or pipelined behind one
      // that asked to close the connection, would be routed. Answered after this read is parsed
      // instead, uWS itself closes the connection when another request follows (it does not take
      // a request while one is pending), and otherwise the end() below runs uncorked, where uWS
      // closes the socket at once.
      setImmediate(() => {
        if (!this.aborted) this.send(status, headers, body, true);
        this.hooks.onFinish(this);
      });
      return;
    }
    this.send(status, headers, body, this.closeAfter());
    this.hooks.onFinish(this);
  }

  replyStored(status: number, head: Uint8Array, nameLength: number, headers: HeaderList, body: Uint8Array | null, reportedLength: number): void {
    if (!this.begin(status)) return;
    if (this.closeRequested) {
      // Deferred as in reply() and replyNoBody(); the stored bytes are only borrowed, so copied.
      const heldHead = Buffer.from(head);
      const heldBody = body === null ? null : Buffer.from(body);
      setImmediate(() => {
        if (!this.aborted) this.sendStored(status, heldHead, nameLength, headers, heldBody, reportedLength, true);
        this.hooks.onFinish(this);
      });
      return;
    }
    this.sendStored(status, head, nameLength, headers, body, reportedLength, this.closeAfter());
    this.hooks.onFinish(this);
  }

  /** As send() or sendNoBody(), with the stored header lines first (writeStoredHead). */
  private sendStored(status: number, head: Uint8Array, nameLength: number, headers: HeaderList, body: Uint8Array | null, reportedLength: number, close: boolean): void {
    if (body === null) {
      this.sendNoBody(status, headers, reportedLength, head, nameLength);
      return;
    }
    this.send(status, headers, body, close, head, nameLength);
  }

  /** The whole answer; `stored`: a stored answer's header lines, written first (writeStoredHead). */
  private send(status: number, headers: HeaderList, body: string | Uint8Array, close: boolean, stored: Uint8Array | null = null, nameLength = 0): void {
    // cork() runs its callback at once: the answer waits in `corked`, so that no closure is made per answer.
    corked.ex = this;
    corked.status = status;
    corked.headers = headers;
    corked.body = body;
    corked.close = close;
    corked.stored = stored;
    corked.nameLength = nameLength;
    try {
      this.corked(writeCorked);
    } finally {
      corked.ex = null;
      corked.headers = NO_HEADERS;
      corked.body = '';
      corked.stored = null;
    }
    this.bytesWritten = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  }

  /** send()'s writes, inside its cork. */
  static writeCorked(): void {
    const ex = corked.ex!;
    if (corked.stored === null) ex.writeHead(corked.status, corked.headers);
    else ex.writeStoredHead(corked.status, corked.stored, corked.nameLength, corked.headers);
    ex.res.end(corked.body, corked.close);
    ex.resDone = true;
  }

  replyNoBody(status: number, headers: HeaderList, reportedLength: number): void {
    if (!this.begin(status)) return;
    if (this.closeRequested) {
      // As in reply(): a request pipelined behind this one in the same read is never routed.
      // After `Connection: close` uWS closes the connection itself once this answer is out;
      // after `upgrade` the answer says `Connection: close` (see sendNoBody).
      setImmediate(() => {
        if (!this.aborted) this.sendNoBody(status, headers, reportedLength);
        this.hooks.onFinish(this);
      });
      return;
    }
    this.sendNoBody(status, headers, reportedLength);
    this.hooks.onFinish(this);
  }

  /** `stored`: the header lines of a stored answer, written first (replyStored). */
  private sendNoBody(status: number, headers: HeaderList, reportedLength: number, stored: Uint8Array | null = null, nameLength = 0): void {
    const res = this.res;
    const close = this.closeAfter();
    const writeHead = (): void => {
      if (stored === null) this.writeHead(status, headers);
      else this.writeStoredHead(status, stored, nameLength, headers);
    };
    if (reportedLength >= 0 && !this.quirks.endWithoutBodyLengthAborts) {
      // uWS writes the Content-Length, and with the close flag `Connection: close`, and closes.
      this.corked(() => {
        writeHead();
        res.endWithoutBody(reportedLength, close);
        this.resDone = true;
      });
      return;
    }
    // endWithoutBody(length) aborts the process in the legacy build (quirk
    // endWithoutBodyLengthAborts), and the close flag without a length writes a bogus
    // Content-Length in the current one: write the headers ourselves, announce the close and let
    // the client close.
    this.unpause();
    this.corked(() => {
      writeHead();
      if (reportedLength >= 0) res.writeHeader('content-length', String(reportedLength));
      if (close) res.writeHeader('connection', 'close');
      res.endWithoutBody();
      this.resDone = true;
    });
  }

  /** Claims the response for one complete answer; false when one was already given. */
  private begin(status: number): boolean {
    if (this.finished) return false;
    if (!this.closeAfter()) this.unpause();
    this.finished = true;
    this.status = status;
    return true;
  }

  streamStart(status: number, headers: HeaderList, totalSize: number): void {
    this.headStatus = status;
    this.headHeaders = headers;
    this.totalSize = totalSize;
    this.status = status;
  }

  streamWrite(chunk: Buffer): boolean {
    if (this.finished) return true;
    let ok = true;
    this.corked(() => {
      if (!this.headWritten) this.writeStreamHead();
      if (this.totalSize < 0) ok = this.write(chunk);
      else {
        if (this.bytesWritten + chunk.length >= this.totalSize) this.unpause(); // the last bytes
        ok = this.tryEnd(chunk);
      }
    });
    return ok;
  }

  onDrain(cb: () => void): void {
    this.drainCb = cb;
  }

  streamEnd(): void {
    if (this.finished) return;
    if (this.totalSize >= 0 && this.bytesWritten !== this.totalSize) {
      // The upstream ended short of its Content-Length: the client must see a cut, not a short body.
      this.abort();
      return;
    }
    // The last bytes are still waiting for the client to drain: the tryEnd in onWritable that
    // sends them completes the response (end() now would drop them).
    if (this.pending !== null) return;
    this.finished = true;
    const res = this.res;
    this.corked(() => {
      if (this.headWritten) {
        // Never end(…, true) once the body has started: uWS writes its `Connection: close` header
        // where the stream is, inside the chunked body. Closing was announced with the head (see
        // writeStreamHead); a drain that began since closes the connection once it is idle.
        this.unpause();
        res.end();
        return;
      }
      this.writeHead(this.headStatus, this.headHeaders);
      const close = this.closeAfter();
      if (!close) this.unpause();
      res.end(undefined, close);
    });
    this.resDone = true;
    this.hooks.onFinish(this);
  }

  abort(): void {
    if (this.finished) return;
    this.finished = true;
    this.res.close();
    this.resDone = true;
    this.hooks.onFinish(this);
  }

  fail(err: unknown, where: string): void {
    this.hooks.onError(this, err, where);
    // An abort callback that throws while failing is logged above and goes no further.
    if (this.failing) return;
    this.failing = true;
    this.runAbortCallback(`abort callback, failing after an exception in the ${where}`);
    if (this.finished) return;
    // Once the head went out the status cannot change: the client must see a cut, not a short
    // answer. Otherwise a 500, and the connection closes after it: the code that threw may have
    // left it in any state (paused, half-read body).
    try {
      if (this.headWritten) this.abort();
      else replyProblem(this, this.requestId, 'TG_INTERNAL', 'The gateway failed to handle this request.', null, true);
    } catch (answerErr) {
      this.hooks.onError(this, answerErr, `the 500 answer after an exception in the ${where}`);
    }
  }

  /** The status line and every header line in one native call (head-block.ts). */
  private writeHead(status: number, headers: HeaderList): void {
    this.headWritten = true;
    startHead(status);
    this.putHeaders(headers);
    this.res.writeStatus(headBytes());
  }

  /** The head of a stored answer: its header lines as stored, then the answer's own (writeHead). */
  private writeStoredHead(status: number, head: Uint8Array, nameLength: number, headers: HeaderList): void {
    this.headWritten = true;
    startHead(status);
    putLines(head);
    this.putHeaders(headers, storedHasServer(head, nameLength));
    this.res.writeStatus(headBytes());
  }

  /** `ownServer`: the answer already has a Server line (in the stored lines written before these). */
  private putHeaders(headers: HeaderList, ownServer = false): void {
    for (let i = 0; i < headers.length; i += 2) putHeader(headers[i] as string, headers[i + 1]!);
    if (this.id !== null) putLine(X_REQUEST_ID, this.id);
    else putWritten(X_REQUEST_ID, REQUEST_ID_LENGTH, writeRequestId, this);
    if (this.serverHeader !== null && !ownServer && !hasServerHeader(headers)) putLine(SERVER, this.serverHeader);
    const extra = this.hooks.answerHeaders;
    for (let i = 0; i < extra.length; i += 2) putHeader(extra[i]!, extra[i + 1]!);
    const own = this.ctx === null ? null : this.ctx.answerHeaders;
    if (own !== null) for (let i = 0; i < own.length; i += 2) putHeader(own[i]!, own[i + 1]!);
  }

  /**
   * The head of a streamed answer. `Connection: close` goes with it when the connection should
   * close (see closeAfter): the end of a stream cannot ask uWS to close (see streamEnd), so the
   * client is told here.
   */
  private writeStreamHead(): void {
    this.headWritten = true;
    startHead(this.headStatus);
    this.putHeaders(this.headHeaders);
    if (this.closeAfter()) putHeader('connection', 'close');
    this.res.writeStatus(headBytes());
  }

  private write(chunk: Buffer): boolean {
    this.bytesWritten += chunk.length;
    const ok = this.res.write(chunk);
    // write() keeps what it could not send; only wait for the drain.
    if (!ok) this.hookWritable();
    return ok;
  }

  private tryEnd(chunk: Buffer): boolean {
    const base = this.res.getWriteOffset();
    const [ok, done] = this.res.tryEnd(chunk, this.totalSize);
    this.bytesWritten += chunk.length;
    if (done) return this.completeKnownSize();
    if (!ok) {
      // tryEnd did not take the whole chunk: keep a copy (the caller's chunk is borrowed) and
      // resend the rest from onWritable.
      this.pending = Buffer.from(chunk);
      this.pendingBase = base;
      this.hookWritable();
    }
    return ok;
  }

  private completeKnownSize(): boolean {
    // No close-after-response here even while draining: close() would drop bytes still queued;
    // the drain closes idle connections once in-flight requests are done.
    this.finished = true;
    this.resDone = true;
    this.hooks.onFinish(this);
    return true;
  }

  private hookWritable(): void {
    if (this.writableHooked) return;
    this.writableHooked = true;
    this.res.onWritable((offset) => {
      if (this.finished) return true;
      const pending = this.pending;
      if (pending !== null) {
        const [ok, done] = this.res.tryEnd(pending.subarray(offset - this.pendingBase), this.totalSize);
        if (done) {
          this.pending = null;
          this.completeKnownSize();
          return true;
        }
        if (!ok) return false;
        this.pending = null;
      }
      const cb = this.drainCb;
      if (cb === null) return true;
      try {
        cb();
      } catch (err) {
        this.fail(err, 'drain callback');
      }
      return true;
    });
  }
}

/** The answer send() is writing inside its cork (UwsExchange.writeCorked). */
const corked: {
  ex: UwsExchange | null; status: number; headers: HeaderList; body: string | Uint8Array; close: boolean; stored: Uint8Array | null; nameLength: number;
} = {
  ex: null, status: 0, headers: NO_HEADERS, body: '', close: false, stored: null, nameLength: 0,
};
const writeCorked = (): void => UwsExchange.writeCorked();

const decoder = new TextDecoder();

function remoteAddressOf(res: HttpResponse): string {
  const text = decoder.decode(res.getRemoteAddressAsText());
  // A dual-stack listener reports IPv4 clients as IPv4-mapped IPv6.
  return text.startsWith('::ffff:') && text.indexOf('.') > 0 ? text.slice(7) : text;
}
