import { randomFillSync } from 'node:crypto';

// A client-supplied id is kept only when it is short and cannot inject anything into logs or headers.
const WELL_FORMED = /^[A-Za-z0-9._:+=/-]{1,128}$/;

export function acceptRequestId(value: string): string {
  return value !== '' && WELL_FORMED.test(value) ? value : newRequestId();
}

// W3C Trace Context: version-traceid-parentid-flags; all-zero ids are invalid.
const TRACEPARENT = /^[0-9a-f]{2}-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;

export function isValidTraceparent(value: string): boolean {
  return value.length === 55 && TRACEPARENT.test(value) && !value.startsWith('ff');
}

// Request ids and trace ids come from a pool of CSPRNG bytes refilled 4 KiB at a time (one
// randomBytes() call per request showed up at 2.4% of a worker's CPU profile), and each is
// written as ASCII into a scratch buffer and read back as one string: crypto.randomUUID() and
// string concatenation built each from pieces (a chain of intermediate strings per id, about
// 600 bytes of garbage per request; native-bench/PROFILE.md).
const POOL = Buffer.allocUnsafe(4096);
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

/** A random (version 4) UUID, as crypto.randomUUID() writes it. */
export function newRequestId(): string {
  const at = take(16);
  POOL[at + 6] = (POOL[at + 6]! & 0x0f) | 0x40; // version 4
  POOL[at + 8] = (POOL[at + 8]! & 0x3f) | 0x80; // variant 10
  let o = hex(at, 4, 0);
  SCRATCH[o++] = 45; // -
  o = hex(at + 4, 2, o);
  SCRATCH[o++] = 45;
  o = hex(at + 6, 2, o);
  SCRATCH[o++] = 45;
  o = hex(at + 8, 2, o);
  SCRATCH[o++] = 45;
  o = hex(at + 10, 6, o);
  return SCRATCH.toString('latin1', 0, o);
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
