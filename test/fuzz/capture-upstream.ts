// The upstream behind the gateway under fuzzing: it keeps every byte each connection brings and
// splits them into requests with Node's strict parser (llhttp, the same one the oracle uses), so
// a byte the gateway writes that is not part of a well-formed request shows up as a parse error
// instead of being skipped. Every request is answered with a serial number in `x-fuzz-answer`,
// which tells the client which of its answers came from here.
import http from 'node:http';
import net from 'node:net';
import { Duplex } from 'node:stream';
import { listenOnLoopback } from '../helpers/listen.js';

export interface UpstreamRequest {
  serial: number;
  connection: number;
  method: string;
  url: string;
  rawHeaders: string[];
  body: Buffer;
  /** The whole body arrived (false: the gateway gave up on an upload in progress). */
  complete: boolean;
  at: number;
}

export interface UpstreamParseError {
  connection: number;
  error: string;
  /** Everything that connection carried. */
  raw: Buffer;
  /** The error is the connection ending inside a request body whose head was parsed. */
  cutShort: boolean;
}

export const ANSWER_HEADER = 'x-fuzz-answer';

/**
 * Node's HTTP server reads a real socket in C++ (the bytes never pass through JS), so each
 * connection is handed to it through this view, which records the bytes on their way.
 */
class RecordingView extends Duplex {
  readonly chunks: Buffer[] = [];
  remoteAddress = '127.0.0.1';
  remotePort = 0;

  constructor(private readonly socket: net.Socket) {
    super();
    socket.on('data', (d: Buffer) => {
      this.chunks.push(Buffer.from(d));
      this.push(d);
    });
    socket.on('end', () => this.push(null));
    socket.on('error', (err) => this.destroy(err));
    socket.on('close', () => { if (!this.destroyed) this.destroy(); });
    this.remotePort = socket.remotePort ?? 0;
  }

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.socket.destroyed) cb();
    else this.socket.write(chunk, () => cb());
  }

  override _final(cb: () => void): void {
    this.socket.end();
    cb();
  }

  override _destroy(err: Error | null, cb: (err: Error | null) => void): void {
    this.socket.destroy();
    cb(err);
  }
}

export class CaptureUpstream {
  readonly requests: UpstreamRequest[] = [];
  readonly errors: UpstreamParseError[] = [];
  private readonly tcp: net.Server;
  private readonly http: http.Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly views = new Map<Duplex, { id: number; view: RecordingView; pending: UpstreamRequest | null }>();
  private serial = 0;
  private connectionCount = 0;
  port = 0;

  constructor() {
    this.http = http.createServer({ insecureHTTPParser: false });
    const onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
      const conn = this.views.get(req.socket);
      const serial = ++this.serial;
      const recorded: UpstreamRequest = {
        serial, connection: conn?.id ?? -1, method: req.method ?? '', url: req.url ?? '', rawHeaders: req.rawHeaders,
        body: Buffer.alloc(0), complete: false, at: Date.now(),
      };
      this.requests.push(recorded);
      if (conn !== undefined) conn.pending = recorded;
      const parts: Buffer[] = [];
      req.on('data', (d: Buffer) => parts.push(d));
      const settle = (): void => { recorded.body = Buffer.concat(parts); };
      req.on('aborted', settle);
      req.on('error', settle);
      req.on('end', () => {
        settle();
        recorded.complete = true;
        if (conn !== undefined && conn.pending === recorded) conn.pending = null;
        res.writeHead(200, { [ANSWER_HEADER]: String(serial), 'content-type': 'text/plain' });
        res.end(`upstream answer ${serial}`);
      });
    };
    this.http.on('request', onRequest);
    // Node answers Expect itself unless these are listened for: such a request is still recorded.
    this.http.on('checkContinue', (req: http.IncomingMessage, res: http.ServerResponse) => {
      res.writeContinue();
      onRequest(req, res);
    });
    this.http.on('checkExpectation', onRequest);
    // Node's server hands a CONNECT to this event, not to 'request' (llhttp takes what follows
    // its head as tunnel bytes): one that reaches the upstream is recorded like any request.
    this.http.on('connect', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      const conn = this.views.get(socket);
      this.requests.push({
        serial: ++this.serial, connection: conn?.id ?? -1, method: req.method ?? '', url: req.url ?? '', rawHeaders: req.rawHeaders,
        body: Buffer.from(head), complete: true, at: Date.now(),
      });
      socket.destroy();
    });
    this.http.on('clientError', (err: Error & { code?: string; reason?: string }, socket: Duplex) => {
      const conn = this.views.get(socket);
      // Only the parser's own errors (HPE_*): EPIPE or ECONNRESET is the gateway closing the
      // connection (its client went away), not bytes the parser could not read.
      if (conn !== undefined && err.code?.startsWith('HPE_')) {
        const cutShort = conn.pending !== null && err.code === 'HPE_INVALID_EOF_STATE';
        this.errors.push({ connection: conn.id, error: `${err.code}: ${err.reason ?? err.message}`, raw: Buffer.concat(conn.view.chunks), cutShort });
      }
      socket.destroy();
    });
    this.tcp = net.createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      const view = new RecordingView(socket);
      view.on('error', () => {});
      this.views.set(view, { id: ++this.connectionCount, view, pending: null });
      this.http.emit('connection', view);
    });
  }

  async start(): Promise<void> {
    this.port = await listenOnLoopback(this.tcp);
  }

  /** Every byte connection `id` carried so far. */
  rawOf(id: number): Buffer {
    for (const c of this.views.values()) if (c.id === id) return Buffer.concat(c.view.chunks);
    return Buffer.alloc(0);
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.tcp.close(() => resolve()));
  }
}
