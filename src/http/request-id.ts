import { randomFillSync } from 'node:crypto';

// A client-supplied id is kept only when it is short and cannot inject anything into logs or headers.
const WELL_FORMED = /^[A-Za-z0-9._:+=/-]{1,128}$/;

/** The client's id when it is one to keep, else null: the gateway makes one. */
export function clientRequestId(value: string): string | null {
  return value !== '' && WELL_FORMED.test(value) ? value : null;
}

/** The client's id when it is one to keep, else a new one. */
export function acceptRequestId(value: string): string {
  return clientRequestId(value) ?? newRequestId();
}

// W3C Trace Context: version-traceid-parentid-flags; all-zero ids are invalid.
const TRACEPARENT = /^[0-9a-f]{2}-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;

export function isValidTraceparent(value: string): boolean {
  return value.length === 55 && TRACEPARENT.test(value) && !value.startsWith('ff');
}

// Request ids and trace ids come from a pool of CSPRNG bytes refilled 64 KiB at a time (one
// randomBytes() call per request showed up at 2.4% of a worker's CPU profile; a 4 KiB pool still
// cost 9 ns per id in the refill's own overhead, 64 KiB about 2.5).
const POOL = Buffer.allocUnsafe(64 * 1024);
let offset = POOL.length;
const HEX = Buffer.from('0123456789abcdef', 'latin1');
const SCRATCH = Buffer.allocUnsafe(64);

/** The offset in POOL of `n` fresh random bytes. */
function take(n: number): number {
  if (offset + n > POOL.length) {
    randomFillSync(POOL);
    offset = 0;
  }
  const at = offset;
  offset += n;
  return at;
}

/** Writes POOL[from, from + n) as lowercase hex into SCRATCH at `to`; returns the end. */
function hex(from: number, n: number, to: number): number {
  for (let i = from; i < from + n; i++) {
    const b = POOL[i]!;
    SCRATCH[to++] = HEX[b >> 4]!;
    SCRATCH[to++] = HEX[b & 15]!;
  }
  return to;
}

/**
 * A new request id before it is text: a random version 4 UUID's 128 bits as four 32-bit words
 * (small integers to V8: an object holds them in its fields without allocating). An answer writes
 * the id's text straight from them into its head (writeRequestId), and the id becomes a string
 * only when something reads it (a log line, a request sent upstream): a cache hit never makes one.
 */
export interface RequestIdWords {
  idA: number;
  idB: number;
  idC: number;
  idD: number;
}

/** The length of a generated id's text. */
export const REQUEST_ID_LENGTH = 36;

const word = (at: number): number => (POOL[at]! << 24) | (POOL[at + 1]! << 16) | (POOL[at + 2]! << 8) | POOL[at + 3]!;

/** Draws a new id into `into`. */
export function newRequestIdWords(into: RequestIdWords): void {
  const at = take(16);
  into.idA = word(at);
  into.idB = (word(at + 4) & ~0xf000) | 0x4000; // version 4: the 13th hex digit
  into.idC = (word(at + 8) & ~0x40000000) | 0x80000000 | 0; // variant 10: the 17th hex digit is 8-b
  into.idD = word(at + 12);
}

/** The id's 36 characters, as crypto.randomUUID() writes them, into `b` at `at`; returns the end. */
export function writeRequestId(b: Uint8Array, at: number, id: RequestIdWords): number {
  let o = hexWord(b, at, id.idA);
  b[o++] = 45; // -
  o = hexHalf(b, o, id.idB >>> 16);
  b[o++] = 45;
  o = hexHalf(b, o, id.idB & 0xffff);
  b[o++] = 45;
  o = hexHalf(b, o, id.idC >>> 16);
  b[o++] = 45;
  o = hexHalf(b, o, id.idC & 0xffff);
  return hexWord(b, o, id.idD);
}

function hexWord(b: Uint8Array, at: number, w: number): number {
  return hexHalf(b, hexHalf(b, at, w >>> 16), w & 0xffff);
}

function hexHalf(b: Uint8Array, at: number, h: number): number {
  b[at] = HEX[(h >>> 12) & 15]!;
  b[at + 1] = HEX[(h >>> 8) & 15]!;
  b[at + 2] = HEX[(h >>> 4) & 15]!;
  b[at + 3] = HEX[h & 15]!;
  return at + 4;
}

/** The id as text. */
export function requestIdText(id: RequestIdWords): string {
  return SCRATCH.toString('latin1', 0, writeRequestId(SCRATCH, 0, id));
}

const drawn: RequestIdWords = { idA: 0, idB: 0, idC: 0, idD: 0 };

/** A random (version 4) UUID, as crypto.randomUUID() writes it. */
export function newRequestId(): string {
  newRequestIdWords(drawn);
  return requestIdText(drawn);
}

/** A new traceparent: version 00, a random trace id and parent id, sampled. */
export function newTraceparent(): string {
  const at = take(24);
  SCRATCH[0] = 48; // 0
  SCRATCH[1] = 48;
  SCRATCH[2] = 45;
  let o = hex(at, 16, 3);
  SCRATCH[o++] = 45;
  o = hex(at + 16, 8, o);
  SCRATCH[o++] = 45;
  SCRATCH[o++] = 48;
  SCRATCH[o++] = 49; // 1
  return SCRATCH.toString('latin1', 0, o);
}
