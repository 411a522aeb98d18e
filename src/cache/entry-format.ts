/**
 * The bytes of one cached answer, as LMDB stores them: the one place that names the fields.
 *
 * An entry is laid out for the hit path, which reads it straight from LMDB's read buffer (or the
 * memory map) without decoding it: fixed little-endian fields at known offsets, then the header
 * lines already rendered as they go on the wire, then the body. A hit reads a few numbers, makes
 * two views and hands them to the exchange; nothing is parsed or copied in JavaScript. The
 * http-cache-semantics policy (msgpack) is read only to revalidate a stale entry.
 *
 *   off size field
 *   0   2    MAGIC ('TG')
 *   2   1    FORMAT (bumped when this layout changes: older entries read as misses)
 *   3   1    KIND: ANSWER, or VARY (a marker under the primary key naming the request headers
 *            the answers vary on; the answers are stored under variant keys, cache-key.ts)
 *   4   2    STATUS
 *   6   2    FLAGS (AUTH_OK: may answer requests with Authorization)
 *   8   8    STORED_AT      epoch ms the answer came from the upstream (or was revalidated)
 *   16  8    FRESH_UNTIL    epoch ms; served as HIT before it
 *   24  8    SWR_UNTIL      epoch ms; served as STALE while one request refreshes it, before it
 *   32  8    SIE_UNTIL      epoch ms; served as STALE when the upstream fails, before it
 *   40  8    INITIAL_AGE    seconds old when stored (the upstream's Age, RFC 9111 §4.2.3)
 *   48  4    FINGERPRINT    of the route config that stored it (a changed route misses)
 *   52  4    HASH           of the key (access-clock and claim slot)
 *   56  4    HEAD_LENGTH    bytes of the rendered header lines
 *   60  2    NAME_LENGTH    bytes of the first header name in them
 *   62  2    ETAG_LENGTH
 *   64  2    LAST_MODIFIED_LENGTH
 *   66  2    VARY_LENGTH    (VARY markers: the header names, comma-separated, lowercase)
 *   68  4    POLICY_LENGTH
 *   72  4    BODY_LENGTH
 *   76       head, etag, last-modified, vary, policy, body
 *
 * FORMAT 2: the head renders a Server line first (render-head.ts); format 1 heads did not.
 */

export const MAGIC = 0x4754; // 'TG' little-endian
export const FORMAT = 2;
export const KIND_ANSWER = 1;
export const KIND_VARY = 2;
export const FLAG_AUTH_OK = 1;

const O_MAGIC = 0;
const O_FORMAT = 2;
const O_KIND = 3;
const O_STATUS = 4;
const O_FLAGS = 6;
const O_STORED_AT = 8;
const O_FRESH_UNTIL = 16;
const O_SWR_UNTIL = 24;
const O_SIE_UNTIL = 32;
const O_INITIAL_AGE = 40;
const O_FINGERPRINT = 48;
const O_HASH = 52;
const O_HEAD_LENGTH = 56;
const O_NAME_LENGTH = 60;
const O_ETAG_LENGTH = 62;
const O_LAST_MODIFIED_LENGTH = 64;
const O_VARY_LENGTH = 66;
const O_POLICY_LENGTH = 68;
const O_BODY_LENGTH = 72;
export const HEADER_BYTES = 76;

export interface EntryInput {
  kind: number;
  status: number;
  flags: number;
  storedAt: number;
  freshUntil: number;
  swrUntil: number;
  sieUntil: number;
  initialAge: number;
  fingerprint: number;
  hash: number;
  /** Rendered header lines (render-head.ts) and the length of the first name in them. */
  head: Uint8Array;
  nameLength: number;
  etag: string;
  lastModified: string;
  vary: string;
  policy: Uint8Array;
  body: Uint8Array;
}

/** One new buffer holding the whole entry: the body is copied into it once. */
export function encodeEntry(e: EntryInput): Buffer {
  const etag = Buffer.from(e.etag, 'latin1');
  const lastModified = Buffer.from(e.lastModified, 'latin1');
  const vary = Buffer.from(e.vary, 'latin1');
  const total = HEADER_BYTES + e.head.length + etag.length + lastModified.length + vary.length + e.policy.length + e.body.length;
  const buf = Buffer.allocUnsafe(total);
  buf.writeUInt16LE(MAGIC, O_MAGIC);
  buf.writeUInt8(FORMAT, O_FORMAT);
  buf.writeUInt8(e.kind, O_KIND);
  buf.writeUInt16LE(e.status, O_STATUS);
  buf.writeUInt16LE(e.flags, O_FLAGS);
  buf.writeDoubleLE(e.storedAt, O_STORED_AT);
  buf.writeDoubleLE(e.freshUntil, O_FRESH_UNTIL);
  buf.writeDoubleLE(e.swrUntil, O_SWR_UNTIL);
  buf.writeDoubleLE(e.sieUntil, O_SIE_UNTIL);
  buf.writeDoubleLE(e.initialAge, O_INITIAL_AGE);
  buf.writeUInt32LE(e.fingerprint >>> 0, O_FINGERPRINT);
  buf.writeUInt32LE(e.hash >>> 0, O_HASH);
  buf.writeUInt32LE(e.head.length, O_HEAD_LENGTH);
  buf.writeUInt16LE(e.nameLength, O_NAME_LENGTH);
  buf.writeUInt16LE(etag.length, O_ETAG_LENGTH);
  buf.writeUInt16LE(lastModified.length, O_LAST_MODIFIED_LENGTH);
  buf.writeUInt16LE(vary.length, O_VARY_LENGTH);
  buf.writeUInt32LE(e.policy.length, O_POLICY_LENGTH);
  buf.writeUInt32LE(e.body.length, O_BODY_LENGTH);
  let at = HEADER_BYTES;
  for (const part of [e.head, etag, lastModified, vary, e.policy, e.body]) {
    buf.set(part, at);
    at += part.length;
  }
  return buf;
}

/** Whether `buf` is an entry of this format and kind (anything else is treated as absent). */
export function isEntry(buf: Uint8Array, kind: number): boolean {
  return buf.length >= HEADER_BYTES && readU16(buf, O_MAGIC) === MAGIC && buf[O_FORMAT] === FORMAT && buf[O_KIND] === kind;
}

// Readers over a borrowed buffer: a Buffer from LMDB's read buffer, or a plain Uint8Array view of
// the memory map (lmdb-js returns one for large values), so no Buffer method is assumed. They
// allocate nothing (a DataView per read would, on every hit).
const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
function readF64(buf: Uint8Array, at: number): number {
  for (let i = 0; i < 8; i++) f64Bytes[LITTLE_ENDIAN ? i : 7 - i] = buf[at + i]!;
  return f64[0]!;
}
const readU16 = (buf: Uint8Array, at: number): number => buf[at]! | (buf[at + 1]! << 8);
const readU32 = (buf: Uint8Array, at: number): number => (buf[at]! | (buf[at + 1]! << 8) | (buf[at + 2]! << 16) | (buf[at + 3]! << 24)) >>> 0;

export const entryStatus = (buf: Uint8Array): number => readU16(buf, O_STATUS);
export const entryFlags = (buf: Uint8Array): number => readU16(buf, O_FLAGS);
export const entryStoredAt = (buf: Uint8Array): number => readF64(buf, O_STORED_AT);
export const entryFreshUntil = (buf: Uint8Array): number => readF64(buf, O_FRESH_UNTIL);
export const entrySwrUntil = (buf: Uint8Array): number => readF64(buf, O_SWR_UNTIL);
export const entrySieUntil = (buf: Uint8Array): number => readF64(buf, O_SIE_UNTIL);
export const entryInitialAge = (buf: Uint8Array): number => readF64(buf, O_INITIAL_AGE);
export const entryFingerprint = (buf: Uint8Array): number => readU32(buf, O_FINGERPRINT);
export const entryHash = (buf: Uint8Array): number => readU32(buf, O_HASH);
export const entryNameLength = (buf: Uint8Array): number => readU16(buf, O_NAME_LENGTH);

/** The rendered header lines (a view). */
export function entryHead(buf: Uint8Array): Uint8Array {
  return buf.subarray(HEADER_BYTES, HEADER_BYTES + readU32(buf, O_HEAD_LENGTH));
}

function stringAt(buf: Uint8Array, lengthField: number, at: number): string {
  return Buffer.from(buf.buffer, buf.byteOffset + at, readU16(buf, lengthField)).toString('latin1');
}

const etagStart = (buf: Uint8Array): number => HEADER_BYTES + readU32(buf, O_HEAD_LENGTH);
const lastModifiedStart = (buf: Uint8Array): number => etagStart(buf) + readU16(buf, O_ETAG_LENGTH);
const varyStart = (buf: Uint8Array): number => lastModifiedStart(buf) + readU16(buf, O_LAST_MODIFIED_LENGTH);
const policyStart = (buf: Uint8Array): number => varyStart(buf) + readU16(buf, O_VARY_LENGTH);
const bodyStart = (buf: Uint8Array): number => policyStart(buf) + readU32(buf, O_POLICY_LENGTH);

export const entryEtag = (buf: Uint8Array): string => stringAt(buf, O_ETAG_LENGTH, etagStart(buf));
export const entryLastModified = (buf: Uint8Array): string => stringAt(buf, O_LAST_MODIFIED_LENGTH, lastModifiedStart(buf));
export const entryVary = (buf: Uint8Array): string => stringAt(buf, O_VARY_LENGTH, varyStart(buf));

/** The packed http-cache-semantics policy (a view). */
export function entryPolicy(buf: Uint8Array): Uint8Array {
  const at = policyStart(buf);
  return buf.subarray(at, at + readU32(buf, O_POLICY_LENGTH));
}

/** The body (a view). */
export function entryBody(buf: Uint8Array): Uint8Array {
  const at = bodyStart(buf);
  return buf.subarray(at, at + readU32(buf, O_BODY_LENGTH));
}

export const entryBodyLength = (buf: Uint8Array): number => readU32(buf, O_BODY_LENGTH);
