// An answer's whole head in one native call. uWS writes writeStatus()'s argument verbatim after
// "HTTP/1.1 " and ends it with CRLF, as it writes writeHeader()'s name and value verbatim
// (test/http/uws-builds.test.ts checks both on each build): so the status text, CRLF, and every
// header line joined by CRLF, gathered in one scratch buffer, go to uWS in one writeStatus() call
// instead of one writeHeader() call per line. A cache hit writes six lines (its stored ones, Age,
// X-Cache, Cache-Status, X-Request-Id); each native call costs more than copying its bytes here
// (a bare uWS answer with six lines: 106k -> 118k answers/s on one core, same run).
//
// One buffer for the thread: a head is gathered and handed to uWS synchronously, and uWS copies
// it (into its cork buffer, or the socket) before writeStatus returns.
import { statusLine } from './status-line.js';

let block = Buffer.allocUnsafe(16 * 1024);
let at = 0;

function ensure(n: number): void {
  if (at + n <= block.length) return;
  const bigger = Buffer.allocUnsafe(Math.max(2 * block.length, at + n));
  block.copy(bigger, 0, 0, at);
  block = bigger;
}

/**
 * A string as uWS would write it: uWS takes a JavaScript string's UTF-8 bytes. Header text is
 * ASCII nearly always (names always; values that are not are Buffers, see HeaderList), copied
 * byte by byte; anything else is encoded as UTF-8.
 */
function putString(s: string): void {
  const n = s.length;
  ensure(3 * n);
  const b = block;
  let o = at;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) {
      at += b.write(s, at, 'utf8');
      return;
    }
    b[o++] = c;
  }
  at = o;
}

function putValue(v: string | Buffer): void {
  if (typeof v === 'string') putString(v);
  else {
    ensure(v.length);
    block.set(v, at);
    at += v.length;
  }
}

function crlf(): void {
  ensure(2);
  block[at++] = 13;
  block[at++] = 10;
}

/** Status texts ("200 OK") as bytes, made on first use. */
const STATUS_BYTES: Buffer[] = [];

/** Starts a head: the status text ("200 OK"). */
export function startHead(status: number): void {
  const line = STATUS_BYTES[status] ?? (STATUS_BYTES[status] = Buffer.from(statusLine(status), 'latin1'));
  at = line.length;
  block.set(line, 0);
}

/** "\r\nname: " as bytes: the start of a line putLine() writes. */
export function linePrefix(name: string): Buffer {
  return Buffer.from(`\r\n${name}: `, 'latin1');
}

/**
 * A line whose value `write` writes itself: exactly `length` bytes into the block at the offset it
 * is given, from `source` (a generated request id from its words, without making it a string).
 */
export function putWritten<T>(prefix: Uint8Array, length: number, write: (b: Uint8Array, at: number, source: T) => number, source: T): void {
  ensure(prefix.length + length);
  block.set(prefix, at);
  at = write(block, at + prefix.length, source);
}

/** A header line whose name was made bytes once (linePrefix): the lines every answer writes. */
export function putLine(prefix: Uint8Array, value: string): void {
  ensure(prefix.length);
  block.set(prefix, at);
  at += prefix.length;
  putString(value);
}

/** One header line. */
export function putHeader(name: string, value: string | Buffer): void {
  crlf();
  putString(name);
  ensure(2);
  block[at++] = 58; // :
  block[at++] = 32;
  putValue(value);
}

/** Header lines exactly as they go on the wire: "name: value" lines joined by CRLF (a stored answer's). */
export function putLines(lines: Uint8Array): void {
  if (lines.length === 0) return;
  crlf();
  ensure(lines.length);
  block.set(lines, at);
  at += lines.length;
}

// The view headBytes() gave last: heads of one kind of answer tend to have one length (a hit's
// always), so the same view serves again instead of a new one per answer.
let view = new Uint8Array(0);

/** The head gathered since startHead(), for writeStatus(); valid until the next startHead(). */
export function headBytes(): Uint8Array {
  let v = view;
  if (v.length !== at || v.buffer !== block.buffer || v.byteOffset !== block.byteOffset) {
    v = new Uint8Array(block.buffer, block.byteOffset, at);
    view = v;
  }
  return v;
}
