// A raw TCP upstream whose answer is scripted per request path, and which records what every
// connection carried: the raw bytes, each request (head and decoded body), whether a request
// arrived while an earlier answer on the same connection was still being written (pipelining),
// and whether the peer (the gateway) closed the connection.
//
// Requests are parsed from the byte stream (several TCP chunks per request, several requests per
// connection); request bodies are framed by Content-Length or chunked encoding. The script of a
// request runs once its head is parsed (so it can answer before the body arrived) and the
// requests of one connection are answered one after the other. An answer is finished when its
// script returns (or its promise resolves).
import net from 'node:net';
import { listenOnLoopback } from './listen.js';

export interface ScriptedRequest {
  conn: ScriptedConnection;
  /** 0 for the first request of its connection. */
  index: number;
  method: string;
  /** The request target as sent: path and query. */
  target: string;
  /** The target without its query. */
  path: string;
  version: string;
  /** The head as received (request line, headers, final CRLF CRLF), latin1. */
  head: string;
  /** Header fields in order, names lowercased, values trimmed (latin1). */
  headers: [string, string][];
  chunked: boolean;
  /** Resolves with the decoded body once it was received whole (empty when there is none). */
  body: Promise<Buffer>;
  /** Whether the whole body was received. */
  bodyDone: boolean;
  /** Offsets of this message in its connection's raw bytes (end is set once the body is complete). */
  start: number;
  end: number;
  /** Set when its answer was finished (its script returned). */
  answered: boolean;
  header(name: string): string[];
}

export interface ScriptedConnection {
  id: number;
  socket: net.Socket;
  requests: ScriptedRequest[];
  /** A request head arrived while an earlier answer on this connection was not finished. */
  overlapped: boolean;
  /** The bytes received could not be parsed as HTTP/1.1 requests. */
  junk: string | null;
  /** The gateway ended (FIN) or reset the connection. */
  peerClosed: boolean;
  /** This side ended or destroyed the connection (a script did). */
  closedByUs: boolean;
  closed: boolean;
  raw(): Buffer;
}

export interface ResponseIO {
  socket: net.Socket;
  /** Writes bytes; a string is written as latin1, so "\xe9" is one byte. */
  write(data: string | Buffer): void;
  /** Writes `data` in pieces of `size` bytes with a setImmediate between each. */
  trickle(data: string | Buffer, size?: number): Promise<void>;
  /** Writes `data` (if any) and ends the connection (FIN), still reading what arrives; destroyed after 2 s. */
  end(data?: string | Buffer): void;
  /** Destroys the connection now. */
  destroy(): void;
  sleep(ms: number): Promise<void>;
}

export type Script = (req: ScriptedRequest, io: ResponseIO) => void | Promise<void>;

export interface ScriptedUpstream {
  port: number;
  url: string;
  connections: ScriptedConnection[];
  requests(): ScriptedRequest[];
  /** Sets the script for one path (the target without its query). */
  on(path: string, script: Script): void;
  /** The requests received for a path, in order. */
  requestsFor(path: string): ScriptedRequest[];
  close(): Promise<void>;
}

const toBuf = (data: string | Buffer): Buffer => (typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const NOT_FOUND = 'HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\nno script';
const MAX_HEAD = 256 * 1024;

export async function startScriptedUpstream(): Promise<ScriptedUpstream> {
  const scripts = new Map<string, Script>();
  const connections: ScriptedConnection[] = [];
  const timers = new Set<NodeJS.Timeout>();

  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    const chunks: Buffer[] = [];
    const conn: ScriptedConnection = {
      id: connections.length,
      socket,
      requests: [],
      overlapped: false,
      junk: null,
      peerClosed: false,
      closedByUs: false,
      closed: false,
      raw: () => Buffer.concat(chunks),
    };
    connections.push(conn);

    // Parser state.
    let buf: Buffer = Buffer.alloc(0);
    let bufBase = 0; // offset of buf[0] in the connection's raw bytes
    type BodyState =
      | { kind: 'none' }
      | { kind: 'length'; remaining: number }
      | { kind: 'chunk-size' }
      | { kind: 'chunk-data'; remaining: number }
      | { kind: 'chunk-data-crlf' }
      | { kind: 'trailers' };
    let state: BodyState = { kind: 'none' };
    let current: ScriptedRequest | null = null;
    let bodyParts: Buffer[] = [];
    let resolveBody: ((b: Buffer) => void) | null = null;

    // Answering state.
    const queue: ScriptedRequest[] = [];
    let busy = false;
    let stopped = false; // a script ended or destroyed the connection: no more answers

    const io: ResponseIO = {
      socket,
      write: (data) => {
        if (!socket.destroyed) socket.write(toBuf(data));
      },
      trickle: async (data, size = 1) => {
        const b = toBuf(data);
        for (let i = 0; i < b.length && !socket.destroyed; i += size) {
          socket.write(b.subarray(i, i + size));
          await new Promise((r) => setImmediate(r));
        }
      },
      end: (data) => {
        stopped = true;
        conn.closedByUs = true;
        if (socket.destroyed) return;
        if (data !== undefined) socket.write(toBuf(data));
        socket.end();
        const timer = setTimeout(() => socket.destroy(), 2_000);
        timers.add(timer);
        socket.once('close', () => { clearTimeout(timer); timers.delete(timer); });
      },
      destroy: () => {
        stopped = true;
        conn.closedByUs = true;
        socket.destroy();
      },
      sleep,
    };

    const pump = (): void => {
      if (busy || stopped) return;
      const req = queue.shift();
      if (req === undefined) return;
      busy = true;
      const script = scripts.get(req.path);
      const finish = (): void => {
        req.answered = true;
        busy = false;
        pump();
      };
      let result: void | Promise<void>;
      try {
        result = script === undefined ? io.write(NOT_FOUND) : script(req, io);
      } catch {
        io.destroy();
        return;
      }
      if (result instanceof Promise) result.then(finish, () => io.destroy());
      else finish();
    };

    const fail = (why: string): void => {
      conn.junk ??= why;
      stopped = true;
      socket.destroy();
    };

    const finishBody = (at: number): void => {
      const req = current!;
      req.end = at;
      req.bodyDone = true;
      resolveBody!(Buffer.concat(bodyParts));
      current = null;
      resolveBody = null;
      bodyParts = [];
      state = { kind: 'none' };
    };

    const consume = (n: number): void => {
      buf = buf.subarray(n);
      bufBase += n;
    };

    const parse = (): void => {
      for (;;) {
        if (state.kind === 'none') {
          const at = buf.indexOf('\r\n\r\n');
          if (at < 0) {
            if (buf.length > MAX_HEAD) fail('request head too large');
            return;
          }
          const head = buf.subarray(0, at + 4).toString('latin1');
          const start = bufBase;
          consume(at + 4);
          const lines = head.slice(0, -4).split('\r\n');
          const m = /^([A-Z]+) (\S+) (HTTP\/1\.[01])$/.exec(lines[0] ?? '');
          if (m === null) return fail('bad request line ' + JSON.stringify(lines[0]));
          const headers: [string, string][] = [];
          for (const line of lines.slice(1)) {
            const colon = line.indexOf(':');
            if (colon <= 0) return fail('bad header line ' + JSON.stringify(line));
            headers.push([line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()]);
          }
          let resolve!: (b: Buffer) => void;
          const body = new Promise<Buffer>((r) => { resolve = r; });
          const target = m[2]!;
          const req: ScriptedRequest = {
            conn,
            index: conn.requests.length,
            method: m[1]!,
            target,
            path: target.split('?')[0]!,
            version: m[3]!,
            head,
            headers,
            chunked: false,
            body,
            bodyDone: false,
            start,
            end: -1,
            answered: false,
            header: (name) => headers.filter(([n]) => n === name.toLowerCase()).map(([, v]) => v),
          };
          if (busy || queue.length > 0) conn.overlapped = true;
          conn.requests.push(req);
          current = req;
          resolveBody = resolve;
          const te = req.header('transfer-encoding').join(',').toLowerCase();
          const cl = req.header('content-length');
          if (te !== '') {
            if (!/(^|,)\s*chunked\s*$/.test(te)) return fail('unsupported transfer-encoding ' + te);
            req.chunked = true;
            state = { kind: 'chunk-size' };
          } else if (cl.length > 0) {
            const n = Number(cl[0]);
            if (!/^\d+$/.test(cl[0]!) || cl.some((v) => v !== cl[0])) return fail('bad content-length ' + cl.join(','));
            state = { kind: 'length', remaining: n };
          }
          queue.push(req);
          if (state.kind === 'none' || (state.kind === 'length' && state.remaining === 0)) finishBody(bufBase);
          pump();
          continue;
        }
        if (state.kind === 'length') {
          if (buf.length === 0) return;
          const take = Math.min(state.remaining, buf.length);
          bodyParts.push(Buffer.from(buf.subarray(0, take)));
          consume(take);
          state.remaining -= take;
          if (state.remaining === 0) finishBody(bufBase);
          continue;
        }
        if (state.kind === 'chunk-size' || state.kind === 'chunk-data-crlf' || state.kind === 'trailers') {
          const at = buf.indexOf('\r\n');
          if (at < 0) {
            if (buf.length > MAX_HEAD) fail('chunk line too long');
            return;
          }
          const line = buf.subarray(0, at).toString('latin1');
          consume(at + 2);
          if (state.kind === 'chunk-data-crlf') {
            if (line !== '') return fail('missing CRLF after chunk data');
            state = { kind: 'chunk-size' };
          } else if (state.kind === 'trailers') {
            if (line === '') finishBody(bufBase);
          } else {
            const sizeText = line.split(';')[0]!.trim();
            if (!/^[0-9a-fA-F]+$/.test(sizeText)) return fail('bad chunk size ' + JSON.stringify(line));
            const size = parseInt(sizeText, 16);
            state = size === 0 ? { kind: 'trailers' } : { kind: 'chunk-data', remaining: size };
          }
          continue;
        }
        // chunk-data
        if (buf.length === 0) return;
        const take = Math.min(state.remaining, buf.length);
        bodyParts.push(Buffer.from(buf.subarray(0, take)));
        consume(take);
        state.remaining -= take;
        if (state.remaining === 0) state = { kind: 'chunk-data-crlf' };
      }
    };

    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      if (conn.junk !== null) return;
      buf = buf.length === 0 ? d : Buffer.concat([buf, d]);
      parse();
    });
    socket.on('end', () => { conn.peerClosed = true; });
    socket.on('error', () => { if (!conn.closedByUs) conn.peerClosed = true; });
    socket.on('close', () => {
      conn.closed = true;
      // A reset shows as 'close' without 'end' when no error was reported.
      if (!conn.closedByUs && conn.junk === null) conn.peerClosed = true;
      if (resolveBody !== null) resolveBody(Buffer.concat(bodyParts));
      resolveBody = null;
    });
  });

  const port = await listenOnLoopback(server);
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    connections,
    requests: () => connections.flatMap((c) => c.requests),
    on: (path, script) => { scripts.set(path, script); },
    requestsFor: (path) => connections.flatMap((c) => c.requests).filter((r) => r.path === path),
    close: () => new Promise<void>((r) => {
      for (const t of timers) clearTimeout(t);
      for (const c of connections) c.socket.destroy();
      server.close(() => r());
    }),
  };
}

/** Polls `cond` every 10 ms until it holds or `ms` passed; resolves with its last value. */
export async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() >= until) return false;
    await sleep(10);
  }
  return true;
}

export interface RawResponse {
  /** Every byte read for this response (and, when cut or close-delimited, up to the close), latin1. */
  text: string;
  bytes: Buffer;
  /** Status of the final response, 0 if none was read. */
  status: number;
  /** The head of the final response (status line and headers, no final CRLF CRLF), latin1. */
  head: string;
  body: Buffer;
  /** Whether one complete response (framed by Content-Length, chunked or close) was read. */
  complete: boolean;
  closed: boolean;
}

interface Parsed {
  /** Bytes the response took, interim answers included. */
  length: number;
  status: number;
  head: string;
  body: Buffer;
}

/**
 * Parses one response at the start of `buf`, skipping 1xx interim answers; null while
 * incomplete, or when its body runs to the close (neither Content-Length nor chunked).
 */
function parseResponse(buf: Buffer, noBody: boolean): Parsed | null {
  let pos = 0;
  for (;;) {
    const at = buf.indexOf('\r\n\r\n', pos);
    if (at < 0) return null;
    const head = buf.subarray(pos, at).toString('latin1');
    const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(head)?.[1] ?? 0);
    const bodyStart = at + 4;
    if (status >= 100 && status < 200) {
      pos = bodyStart;
      continue;
    }
    if (noBody || status === 204 || status === 304) return { length: bodyStart, status, head, body: Buffer.alloc(0) };
    const cl = /\r\ncontent-length:[ \t]*(\d+)/i.exec(head);
    if (cl !== null) {
      const n = Number(cl[1]);
      if (buf.length < bodyStart + n) return null;
      return { length: bodyStart + n, status, head, body: buf.subarray(bodyStart, bodyStart + n) };
    }
    if (/\r\ntransfer-encoding:[ \t]*chunked/i.test(head)) {
      const decoded = decodeChunked(buf.subarray(bodyStart));
      if (decoded === null) return null;
      return { length: bodyStart + decoded.length, status, head, body: decoded.body };
    }
    return null;
  }
}

export interface RawClient {
  /** Writes `bytes` and resolves with the next response read on this connection. */
  exchange(bytes: string | Buffer, opts?: { timeoutMs?: number; head?: boolean }): Promise<RawResponse>;
  /** Bytes read and not yet taken by a response. */
  leftover(): Buffer;
  close(): void;
}

/** A raw keep-alive connection to 127.0.0.1:port: responses are read one by one by their framing. */
export function openRawClient(port: number): RawClient {
  const s = net.connect(port, '127.0.0.1');
  let buf = Buffer.alloc(0);
  let closed = false;
  let wake: (() => void) | null = null;
  s.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    wake?.();
  });
  s.on('error', () => {});
  s.on('close', () => {
    closed = true;
    wake?.();
  });
  return {
    leftover: () => buf,
    close: () => s.destroy(),
    exchange: (bytes, opts = {}) => new Promise<RawResponse>((resolve) => {
      let done = false;
      const finish = (): void => {
        if (done) return;
        const parsed = parseResponse(buf, opts.head === true);
        let taken = parsed?.length ?? -1;
        let complete = parsed !== null;
        if (parsed === null && !closed && !timedOut) return;
        if (parsed === null) {
          // Cut, timed out, or close-delimited: take everything.
          const at = buf.indexOf('\r\n\r\n');
          const head = at < 0 ? '' : buf.subarray(0, at).toString('latin1');
          complete = closed && at >= 0 && !/\r\n(content-length|transfer-encoding):/i.test(head);
          taken = buf.length;
        }
        done = true;
        wake = null;
        clearTimeout(timer);
        const bytesRead = buf.subarray(0, taken);
        buf = buf.subarray(taken);
        const text = bytesRead.toString('latin1');
        const final = parsed ?? (() => {
          // The last head in what was read (after any interim answers).
          let pos = 0;
          let head = '';
          let body = Buffer.alloc(0);
          for (;;) {
            const at = bytesRead.indexOf('\r\n\r\n', pos);
            if (at < 0) break;
            head = bytesRead.subarray(pos, at).toString('latin1');
            body = bytesRead.subarray(at + 4);
            if (!/^HTTP\/1\.1 1\d\d /.test(head)) break;
            pos = at + 4;
          }
          return { status: Number(/^HTTP\/1\.1 (\d{3}) /.exec(head)?.[1] ?? 0), head, body };
        })();
        resolve({ text, bytes: bytesRead, status: final.status, head: final.head, body: final.body, complete, closed });
      };
      let timedOut = false;
      const timer = setTimeout(() => { timedOut = true; finish(); }, opts.timeoutMs ?? 2_000);
      wake = finish;
      s.write(bytes);
      finish();
    }),
  };
}

/**
 * Sends raw bytes to 127.0.0.1:port on a new connection and reads until one response is complete
 * (by its framing), the peer closes, or the timeout. `head: true` reads a response to HEAD.
 */
export async function rawRequest(port: number, bytes: string | Buffer, opts: { timeoutMs?: number; head?: boolean } = {}): Promise<RawResponse> {
  const c = openRawClient(port);
  try {
    return await c.exchange(bytes, opts);
  } finally {
    c.close();
  }
}

/** Decodes a complete chunked body at the start of `body`; null while it is incomplete or invalid. */
export function decodeChunked(body: Buffer): { body: Buffer; length: number } | null {
  const out: Buffer[] = [];
  let pos = 0;
  for (;;) {
    const eol = body.indexOf('\r\n', pos);
    if (eol < 0) return null;
    const sizeText = body.subarray(pos, eol).toString('latin1').split(';')[0]!.trim();
    if (!/^[0-9a-fA-F]+$/.test(sizeText)) return null;
    const size = parseInt(sizeText, 16);
    pos = eol + 2;
    if (size === 0) {
      // Trailers until an empty line.
      for (;;) {
        const e = body.indexOf('\r\n', pos);
        if (e < 0) return null;
        if (e === pos) return { body: Buffer.concat(out), length: e + 2 };
        pos = e + 2;
      }
    }
    if (body.length < pos + size + 2) return null;
    out.push(body.subarray(pos, pos + size));
    pos += size + 2;
  }
}
