// An incremental parser for HTTP/1.1 responses (RFC 9112), the upstream side of the proxy.
//
// It is strict where a lenient proxy would be exploitable: CRLF line endings only, no obs-fold,
// no control characters in the head, a status code 100-599, one Content-Length value, no
// Content-Length beside Transfer-Encoding, `chunked` as the only transfer coding (a transfer
// coding is hop-by-hop: a body relayed without one the client was not told of, say gzip, would
// be corrupt, and we do not decode them). Anything else is an H1ParseError, which the connection turns into a 502 and a closed socket (RFC 9112 §6.3 and
// §5.2 allow a gateway to refuse such a message rather than guess its framing).


export const MAX_HEAD_BYTES = 64 * 1024;
export const MAX_HEADERS = 200;
const MAX_CHUNK_LINE = 4 * 1024;
const MAX_TRAILER_BYTES = 16 * 1024;

export class H1ParseError extends Error {
  override readonly name = 'H1ParseError';
  readonly code = 'TG_UP_PROTOCOL';
}

export interface ResponseSink {
  /**
   * A final (>= 200) response head. `headers` is a flat list: lowercased name, value; a value
   * with bytes beyond ASCII (obs-text) is a Buffer of those bytes, so it passes on unchanged.
   */
  onResponseHead(status: number, headers: (string | Buffer)[], contentLength: number): void;
  /** Returns false to pause: the rest of the input is kept until resume(). */
  onResponseBody(chunk: Buffer): boolean;
  /** The message is complete; `trailing` is true when bytes beyond it were already received. */
  onResponseEnd(trailing: boolean): void;
}

const enum State {
  Head,
  Length,
  ChunkSize,
  ChunkData,
  ChunkEnd,
  Trailers,
  UntilClose,
  Done,
}

const CRLF = Buffer.from('\r\n');
const EMPTY = Buffer.alloc(0);
const CRLFCRLF = Buffer.from('\r\n\r\n');
// Control characters other than HTAB, CR and LF, and DEL. (CR and LF are checked per line: a
// regex with look-around for unpaired ones cost ~850 ns per head, four times all the rest.)
const BAD_HEAD_CHAR = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const DIGITS = /^[0-9]{1,15}$/;
const NON_ASCII = /[\x80-\xff]/;

export class ResponseParser {
  private state = State.Head;
  /**
   * Bytes received but not parsed yet (a head, chunk line or trailer split across reads), at
   * [0, pendingLength). It grows by doubling and a head is searched from where the last search
   * stopped, so a head trickling in byte by byte costs linear, not quadratic, time.
   */
  private pending: Buffer | null = null;
  private pendingLength = 0;
  private headScanned = 0;
  /** Whether body bytes of the current execute() were handed on (they are views of its data). */
  private emitted = false;
  private remaining = 0;
  private noBody = false;
  private stopped = false;
  private paused = false;
  /** HTTP/1.1 without `Connection: close`, or HTTP/1.0 with `Connection: keep-alive`. */
  keepAlive = true;
  /** Seconds from the upstream's `Keep-Alive: timeout=N`, or -1. */
  keepAliveTimeout = -1;
  /** True once any byte of the current response arrived. */
  started = false;

  constructor(private readonly sink: ResponseSink) {}

  /** Prepares for the response to the next request; HEAD answers never have a body. */
  expect(method: string): void {
    this.state = State.Head;
    this.pendingLength = 0;
    this.headScanned = 0;
    if (this.pending !== null && this.pending.length > 16 * 1024) this.pending = null;
    this.noBody = method === 'HEAD';
    this.keepAlive = true;
    this.keepAliveTimeout = -1;
    this.started = false;
    this.stopped = false;
    this.paused = false;
  }

  /** Parses what was held back by a pause; it may pause again. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    if (this.pendingLength > 0) this.execute(EMPTY);
  }

  /** Stops delivering events (the request was abandoned); later input is ignored. */
  stop(): void {
    this.stopped = true;
  }

  get complete(): boolean {
    return this.state === State.Done;
  }

  /** Feeds bytes from the socket. Throws H1ParseError on a malformed response. */
  execute(input: Buffer): void {
    this.started = true;
    if (this.paused) {
      // Bytes that were already on their way when the pause began: held, not parsed.
      this.keepMore(input);
      return;
    }
    const own = this.pendingLength > 0;
    const data = own ? this.append(input) : input;
    this.pendingLength = 0;
    this.emitted = false;
    let pos = 0;
    const end = data.length;
    while (pos < end && !this.stopped) {
      switch (this.state) {
        case State.Head: {
          const at = data.indexOf(CRLFCRLF, Math.max(pos, pos + this.headScanned - 3));
          if (at < 0) {
            if (end - pos > MAX_HEAD_BYTES) throw new H1ParseError('response head too large');
            this.headScanned = end - pos;
            this.keep(data, pos, own);
            return;
          }
          this.headScanned = 0;
          if (at + 4 - pos > MAX_HEAD_BYTES) throw new H1ParseError('response head too large');
          const head = data.toString('latin1', pos, at + 2);
          // On the string: a subarray to check the bytes would be one more object per response.
          const ascii = !NON_ASCII.test(head);
          pos = at + 4;
          this.parseHead(head, ascii);
          if ((this.state as State) === State.Done && !this.stopped) this.sink.onResponseEnd(pos < end);
          break;
        }
        case State.Length: {
          const n = Math.min(this.remaining, end - pos);
          this.remaining -= n;
          const chunk = pos === 0 && n === end ? data : data.subarray(pos, pos + n);
          pos += n;
          this.emitted = true;
          const goOn = this.sink.onResponseBody(chunk);
          if (this.remaining === 0) this.finish(pos < end);
          else if (!goOn && !this.stopped) {
            this.pause(data, pos, own);
            return;
          }
          break;
        }
        case State.ChunkSize: {
          const at = data.indexOf(CRLF, pos);
          if (at < 0) {
            if (end - pos > MAX_CHUNK_LINE) throw new H1ParseError('chunk size line too long');
            this.keep(data, pos, own);
            return;
          }
          const size = parseChunkSize(data, pos, at);
          pos = at + 2;
          if (size === 0) {
            this.state = State.Trailers;
            this.remaining = MAX_TRAILER_BYTES;
          } else {
            this.state = State.ChunkData;
            this.remaining = size;
          }
          break;
        }
        case State.ChunkData: {
          const n = Math.min(this.remaining, end - pos);
          this.remaining -= n;
          const chunk = data.subarray(pos, pos + n);
          pos += n;
          if (this.remaining === 0) this.state = State.ChunkEnd;
          this.emitted = true;
          if (!this.sink.onResponseBody(chunk) && !this.stopped && pos < end) {
            this.pause(data, pos, own);
            return;
          }
          break;
        }
        case State.ChunkEnd: {
          if (end - pos < 2) {
            this.keep(data, pos, own);
            return;
          }
          if (data[pos] !== 13 || data[pos + 1] !== 10) throw new H1ParseError('chunk not followed by CRLF');
          pos += 2;
          this.state = State.ChunkSize;
          break;
        }
        case State.Trailers: {
          // Trailer fields are read and dropped; the client's answer is already framed by uWS.
          const at = data.indexOf(CRLF, pos);
          if (at < 0) {
            if (end - pos > this.remaining) throw new H1ParseError('trailers too large');
            this.keep(data, pos, own);
            return;
          }
          this.remaining -= at + 2 - pos;
          if (this.remaining < 0) throw new H1ParseError('trailers too large');
          const empty = at === pos;
          pos = at + 2;
          if (empty) this.finish(pos < end);
          break;
        }
        case State.UntilClose: {
          const chunk = pos === 0 ? data : data.subarray(pos);
          pos = end;
          this.emitted = true;
          this.sink.onResponseBody(chunk);
          break;
        }
        case State.Done:
          // Bytes after a complete response: the connection reports them and is not reused.
          return;
      }
    }
  }

  private pause(data: Buffer, pos: number, own: boolean): void {
    this.paused = true;
    if (pos < data.length) this.keep(data, pos, own);
  }

  /** While paused: appends input to what is held, in a buffer no body view points into. */
  private keepMore(input: Buffer): void {
    if (input.length === 0) return;
    if (this.pendingLength === 0) {
      this.keep(input, 0, false);
      return;
    }
    this.append(input);
    this.pendingLength += input.length;
  }

  /** Appends input to the pending bytes and returns a view of all of them. */
  private append(input: Buffer): Buffer {
    const need = this.pendingLength + input.length;
    let buf = this.pending!;
    if (buf.length < need) {
      const grown = Buffer.allocUnsafe(Math.max(need, buf.length * 2));
      buf.copy(grown, 0, 0, this.pendingLength);
      this.pending = buf = grown;
    }
    input.copy(buf, this.pendingLength);
    return buf.subarray(0, need);
  }

  /**
   * Keeps data[from..] for the next call. Body chunks handed on are views of `data`, so a pending
   * buffer that body bytes came from is never written again: the rest goes to a fresh one.
   */
  private keep(data: Buffer, from: number, own: boolean): void {
    const n = data.length - from;
    if (own && !this.emitted) {
      if (from > 0) this.pending!.copyWithin(0, from, data.length);
    } else {
      const buf = Buffer.allocUnsafe(Math.max(n * 2, 1024));
      data.copy(buf, 0, from);
      this.pending = buf;
    }
    this.pendingLength = n;
  }

  /** The upstream closed its side: completes a close-delimited body; false if the message was cut. */
  eof(): boolean {
    if (this.state === State.UntilClose) {
      this.finish(false);
      return true;
    }
    return this.state === State.Done;
  }

  private finish(trailing: boolean): void {
    this.state = State.Done;
    this.sink.onResponseEnd(trailing);
  }

  private parseHead(head: string, ascii: boolean): void {
    if (BAD_HEAD_CHAR.test(head)) throw new H1ParseError('invalid character in response head');
    let eol = head.indexOf('\r\n');
    if (bareCrOrLf(head, 0, eol)) throw new H1ParseError('invalid character in response head');
    // status-line = HTTP-version SP 3DIGIT SP [ reason-phrase ]
    const http11 = head.startsWith('HTTP/1.1 ');
    if (!http11 && !head.startsWith('HTTP/1.0 ')) throw new H1ParseError('invalid status line');
    const status = statusCode(head, eol);
    let contentLength = -1;
    let chunked = false;
    let keepAlive = http11;
    const headers: (string | Buffer)[] = [];
    let pos = eol + 2;
    while (pos < head.length) {
      eol = head.indexOf('\r\n', pos);
      if (bareCrOrLf(head, pos, eol)) throw new H1ParseError('invalid character in response head');
      const first = head.charCodeAt(pos);
      if (first === 32 || first === 9) throw new H1ParseError('obsolete line folding in response head');
      const colon = head.indexOf(':', pos);
      if (colon < 0 || colon > eol) throw new H1ParseError('response header line without a colon');
      let name = knownName(head, pos, colon);
      if (name === null) {
        const rawName = head.slice(pos, colon);
        if (!TOKEN.test(rawName)) throw new H1ParseError('invalid response header name');
        name = rawName.toLowerCase();
      }
      let vs = colon + 1;
      let ve = eol;
      while (vs < ve && (head.charCodeAt(vs) === 32 || head.charCodeAt(vs) === 9)) vs++;
      while (ve > vs && (head.charCodeAt(ve - 1) === 32 || head.charCodeAt(ve - 1) === 9)) ve--;
      const value = head.slice(vs, ve);
      pos = eol + 2;
      if (headers.length >= MAX_HEADERS * 2) throw new H1ParseError('too many response headers');
      headers.push(name, ascii || !NON_ASCII.test(value) ? value : Buffer.from(value, 'latin1'));
      switch (name) {
        case 'content-length': {
          const n = parseContentLength(value);
          if (contentLength !== -1 && n !== contentLength) throw new H1ParseError('conflicting Content-Length values');
          contentLength = n;
          break;
        }
        case 'transfer-encoding':
          if (!http11) throw new H1ParseError('Transfer-Encoding in an HTTP/1.0 response');
          if (chunked) throw new H1ParseError('a coding after chunked');
          if (value.toLowerCase() !== 'chunked') throw new H1ParseError('a transfer coding other than chunked');
          chunked = true;
          break;
        case 'connection':
          for (const token of value.toLowerCase().split(',')) {
            const t = token.trim();
            if (t === 'close') keepAlive = false;
            else if (t === 'keep-alive' && !http11) keepAlive = true;
          }
          break;
        case 'keep-alive': {
          const m = /(?:^|[,;\s])timeout\s*=\s*(\d+)/i.exec(value);
          if (m !== null) this.keepAliveTimeout = Number(m[1]);
          break;
        }
      }
    }
    if (chunked && contentLength !== -1) throw new H1ParseError('both Content-Length and Transfer-Encoding');
    if (status < 200) {
      if (status === 101) throw new H1ParseError('unexpected protocol switch');
      // Interim answer (100 Continue, 103 Early Hints): not relayed; the final one follows.
      this.keepAliveTimeout = -1;
      return;
    }
    this.keepAlive = keepAlive;
    const noBody = this.noBody || status === 204 || status === 304;
    if (noBody) this.state = State.Done;
    else if (chunked) this.state = State.ChunkSize;
    else if (contentLength === -1) {
      // RFC 9112 §6.3: without a length, the body runs until the connection closes.
      this.state = State.UntilClose;
      this.keepAlive = false;
    } else if (contentLength === 0) this.state = State.Done;
    else {
      this.state = State.Length;
      this.remaining = contentLength;
    }
    this.sink.onResponseHead(status, headers, contentLength);
  }
}

/** A CR or LF inside the line [start, eol) (the CRLF at eol ends it). */
function bareCrOrLf(head: string, start: number, eol: number): boolean {
  return head.indexOf('\r', start) !== eol || head.indexOf('\n', start) !== eol + 1;
}

function statusCode(head: string, eol: number): number {
  // "HTTP/1.1 200" (empty reason, no SP) is accepted; the code is exactly three digits.
  if (eol < 12 || (eol > 12 && head.charCodeAt(12) !== 32)) throw new H1ParseError('invalid status line');
  let code = 0;
  for (let i = 9; i < 12; i++) {
    const c = head.charCodeAt(i) - 48;
    if (c < 0 || c > 9) throw new H1ParseError('invalid status code');
    code = code * 10 + c;
  }
  if (code < 100 || code > 599) throw new H1ParseError('status code out of range');
  return code;
}

function parseContentLength(value: string): number {
  if (DIGITS.test(value)) return Number(value);
  // "5, 5" (a list of one repeated value) is allowed by RFC 9110 §8.6; anything else is not.
  let n = -1;
  for (const part of value.split(',')) {
    const p = part.trim();
    if (!DIGITS.test(p)) throw new H1ParseError('invalid Content-Length');
    const v = Number(p);
    if (n !== -1 && v !== n) throw new H1ParseError('conflicting Content-Length values');
    n = v;
  }
  return n;
}

/** chunk-size [ chunk-ext ] from data[start, crlf). */
function parseChunkSize(data: Buffer, start: number, crlf: number): number {
  let size = 0;
  let digits = 0;
  let i = start;
  for (; i < crlf; i++) {
    const c = data[i]!;
    const v = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
    if (v < 0) break;
    if (++digits > 12) throw new H1ParseError('chunk size too large');
    size = size * 16 + v;
  }
  if (digits === 0) throw new H1ParseError('invalid chunk size');
  // Optional whitespace, then extensions (ignored) after ';'.
  while (i < crlf && (data[i] === 32 || data[i] === 9)) i++;
  if (i < crlf && data[i] !== 59) throw new H1ParseError('invalid chunk size');
  for (; i < crlf; i++) {
    const c = data[i]!;
    if ((c < 32 && c !== 9) || c === 127) throw new H1ParseError('invalid chunk extension');
  }
  return size;
}

// Header names most upstreams send, lowercase, by length: parseHead takes the name from here when
// the line's name matches one whatever its case, instead of slicing and lowercasing it (two
// strings per header line and response).
const KNOWN_NAMES: string[][] = [];
for (const name of ['server', 'date', 'content-type', 'content-length', 'connection', 'keep-alive', 'transfer-encoding', 'cache-control',
  'etag', 'last-modified', 'expires', 'vary', 'accept-ranges', 'age', 'content-encoding', 'location', 'set-cookie', 'x-request-id']) {
  (KNOWN_NAMES[name.length] ??= []).push(name);
}

/** The known name that head[from, to) spells in any case, or null. */
function knownName(head: string, from: number, to: number): string | null {
  const candidates = KNOWN_NAMES[to - from];
  if (candidates === undefined) return null;
  next: for (const name of candidates) {
    for (let i = 0; i < name.length; i++) {
      let c = head.charCodeAt(from + i);
      if (c >= 65 && c <= 90) c += 32;
      if (c !== name.charCodeAt(i)) continue next;
    }
    return name;
  }
  return null;
}
