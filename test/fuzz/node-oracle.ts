// The oracle: Node's own HTTP server with its strict parser (llhttp, insecureHTTPParser: false)
// reads the same bytes a case sends to the gateway, on its own socket, and records every request
// it parses (method, target, raw header lines, exact body bytes) and whether it then gave up on
// the stream. The bytes are followed by a half-close so that a message cut short is an error.
import http from 'node:http';
import net from 'node:net';
import { listenOnLoopback } from '../helpers/listen.js';

export interface ParsedRequest {
  method: string;
  url: string;
  /** Header names and values as received, one char per byte (Node reads them as latin1). */
  rawHeaders: string[];
  body: Buffer;
  /** The whole body arrived. */
  complete: boolean;
}

export interface OracleResult {
  requests: ParsedRequest[];
  /** Why the parser gave up on the stream (llhttp's code and reason), or null. */
  error: string | null;
}

interface Connection {
  result: OracleResult;
  closed: Promise<void>;
}

const ORACLE_TIMEOUT_MS = 3_000;

export class NodeOracle {
  private readonly server: http.Server;
  private readonly connections = new Map<number, Connection>();
  private port = 0;

  constructor() {
    this.server = http.createServer({ insecureHTTPParser: false, keepAliveTimeout: ORACLE_TIMEOUT_MS });
    const onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
      const conn = this.connections.get(req.socket.remotePort ?? -1);
      const parsed: ParsedRequest = { method: req.method ?? '', url: req.url ?? '', rawHeaders: req.rawHeaders, body: Buffer.alloc(0), complete: false };
      conn?.result.requests.push(parsed);
      const parts: Buffer[] = [];
      req.on('data', (d: Buffer) => parts.push(d));
      req.on('end', () => {
        parsed.body = Buffer.concat(parts);
        parsed.complete = true;
        res.end('ok');
      });
      req.on('error', () => { parsed.body = Buffer.concat(parts); });
      req.on('aborted', () => { parsed.body = Buffer.concat(parts); });
    };
    this.server.on('request', onRequest);
    // A request with Expect is still a request the parser accepted: record it like any other.
    this.server.on('checkContinue', (req: http.IncomingMessage, res: http.ServerResponse) => {
      res.writeContinue();
      onRequest(req, res);
    });
    this.server.on('checkExpectation', onRequest);
    this.server.on('connection', (socket: net.Socket) => {
      const result: OracleResult = { requests: [], error: null };
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      this.connections.set(socket.remotePort ?? -1, { result, closed });
    });
    this.server.on('clientError', (err: Error & { code?: string; reason?: string }, socket: net.Socket) => {
      const conn = this.connections.get(socket.remotePort ?? -1);
      if (conn !== undefined && conn.result.error === null) conn.result.error = `${err.code ?? 'error'}: ${err.reason ?? err.message}`;
      socket.destroy();
    });
  }

  async start(): Promise<void> {
    this.port = await listenOnLoopback(this.server);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** What the strict parser makes of `bytes`. */
  parse(bytes: Buffer): Promise<OracleResult> {
    return new Promise((resolve) => {
      const socket = net.connect(this.port, '127.0.0.1');
      let localPort = -1;
      let done = false;
      const finish = (timedOut: boolean): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        const conn = this.connections.get(localPort);
        this.connections.delete(localPort);
        const result = conn?.result ?? { requests: [], error: 'the oracle never saw the connection' };
        if (timedOut && result.error === null) result.error = 'the oracle did not finish in time';
        socket.destroy();
        // The server side's close comes after every request event of this connection.
        void (conn?.closed ?? Promise.resolve()).then(() => resolve(result));
      };
      const timer = setTimeout(() => finish(true), ORACLE_TIMEOUT_MS);
      socket.on('connect', () => {
        localPort = socket.localPort ?? -1;
        socket.end(bytes);
      });
      socket.on('data', () => {});
      socket.on('error', () => {});
      socket.on('close', () => finish(false));
    });
  }
}
