/**
 * UTF-8 views of JS string ranges without encoding them into a buffer: the route table stores
 * strings as UTF-8 and the lookup compares them against the request path in place.
 * Lone surrogates count as U+FFFD (EF BF BD), exactly as TextEncoder writes them.
 */

export const FNV_OFFSET = 0x811c9dc5 | 0;
export const FNV_PRIME = 0x01000193;

/** FNV-1a over one byte; callers inline the same step for ASCII in their scan loops. */
export function fnvStep(hash: number, byte: number): number {
  return Math.imul(hash ^ byte, FNV_PRIME);
}

/** Code point at i, or U+FFFD for a lone surrogate; a pair occupies i and i + 1. */
function codePointAt(str: string, i: number, end: number): number {
  const c = str.charCodeAt(i);
  if (c < 0xd800 || c > 0xdfff) return c;
  if (c <= 0xdbff && i + 1 < end) {
    const d = str.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
  }
  return 0xfffd;
}

function byteCount(cp: number): number {
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

/** Byte k (0-based) of the UTF-8 encoding of cp. */
function byteOf(cp: number, k: number, n: number): number {
  if (n === 1) return cp;
  const lead = n === 2 ? 0xc0 : n === 3 ? 0xe0 : 0xf0;
  if (k === 0) return lead | (cp >> (6 * (n - 1)));
  return 0x80 | ((cp >> (6 * (n - 1 - k))) & 0x3f);
}

export function hashUtf8(str: string, start: number, end: number): number {
  let h = FNV_OFFSET;
  for (let i = start; i < end; i++) {
    const cp = codePointAt(str, i, end);
    const n = byteCount(cp);
    for (let k = 0; k < n; k++) h = fnvStep(h, byteOf(cp, k, n));
    if (cp > 0xffff) i++;
  }
  return h;
}

/** Whether bytes[offset, offset + length) is the UTF-8 encoding of str[start, end). */
export function utf8RangeEquals(
  bytes: Uint8Array, offset: number, length: number, str: string, start: number, end: number,
): boolean {
  let b = offset;
  const stop = offset + length;
  for (let i = start; i < end; i++) {
    const cp = codePointAt(str, i, end);
    const n = byteCount(cp);
    if (b + n > stop) return false;
    for (let k = 0; k < n; k++) if (bytes[b++] !== byteOf(cp, k, n)) return false;
    if (cp > 0xffff) i++;
  }
  return b === stop;
}
