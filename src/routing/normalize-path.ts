/**
 * Canonical form of a request path, the only form the route table is matched against (SPEC §2).
 *
 * - Percent-encoded unreserved characters (ALPHA DIGIT - . _ ~) are decoded; every other escape
 *   stays encoded with uppercase hex. Raw non-ASCII characters (uWS hands the URL over decoded
 *   as UTF-8) are percent-encoded, so `/café` and `/caf%c3%a9` both become `/caf%C3%A9`.
 * - Empty segments (`//`) collapse; `.` and `..` segments are resolved as RFC 3986 §5.2.4
 *   remove_dot_segments does, and a `..` that would climb above the root rejects the path.
 *   A `..` that resolves can only land on a path the route table then has to name itself.
 * - Rejected (null, the caller answers 400): no leading `/`; encoded `/`, `\` or NUL (`%2F`,
 *   `%5C`, `%00`); a dot-segment written with an encoded dot (`%2e%2e`, `.%2E`, `%2e`): it
 *   exists only to slip past a filter that looks for `..`, so it is refused instead of being
 *   resolved; a raw `\` or control character; bad percent-encoding (`%zz`, `%4`); escapes that
 *   are not well-formed UTF-8 (overlong, surrogates, truncated, above U+10FFFF); a raw U+FFFD
 *   (uWS's stand-in for bytes that were not UTF-8) or lone surrogate.
 *   An encoded dot inside an ordinary segment (`a%2Etxt`) is just decoded.
 */

const SLASH = 0x2f;
const DOT = 0x2e;
const PERCENT = 0x25;
const BACKSLASH = 0x5c;
const DEL = 0x7f;

/**
 * A char outside printable ASCII, a '%', a '\\', or a '/' followed by '/' or '.': anything that
 * sends the path to the slow path (which also decides whether to reject it). One regex test is
 * the single scan of the fast path: irregexp's native loop measured 63 ns vs 100 ns for the
 * same checks written as a charCodeAt loop on GitHub API paths (~30 chars, 2-core EPYC).
 */
const NEEDS_WORK = /[^\x20-\x24\x26-\x5b\x5d-\x7e]|\/[/.]/;

/** Fast path: one scan, no allocation, the same string back when nothing needs rewriting. */
export function normalizePath(raw: string): string | null {
  if (raw.charCodeAt(0) !== SLASH) return null;
  return NEEDS_WORK.test(raw) ? normalizeSlow(raw) : raw;
}

function normalizeSlow(raw: string): string | null {
  const pieces = raw.split('/'); // a raw '/' is the only separator: '%2F' is rejected below
  const kept: string[] = [];
  const last = pieces.length - 1;
  for (let k = 1; k <= last; k++) {
    const piece = pieces[k] as string;
    const segment = decodeSegment(piece);
    if (segment === null) return null;
    if (segment === '.' || segment === '..') {
      if (segment !== piece) return null; // written with an encoded dot
      if (segment === '..' && kept.pop() === undefined) return null;
    } else if (segment !== '') {
      kept.push(segment);
      continue;
    }
    if (k === last) kept.push(''); // `/a/`, `/a/.`, `/a/b/..` keep their trailing slash
  }
  if (kept.length === 0 || (kept.length === 1 && kept[0] === '')) return '/';
  return '/' + kept.join('/');
}

const ESCAPES: readonly string[] = Array.from(
  { length: 256 },
  (_, b) => '%' + b.toString(16).toUpperCase().padStart(2, '0'),
);

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

function isUnreserved(b: number): boolean {
  const lower = b | 0x20;
  return (lower >= 0x61 && lower <= 0x7a) || (b >= 0x30 && b <= 0x39)
    || b === 0x2d || b === DOT || b === 0x5f || b === 0x7e;
}

/**
 * Decodes one segment; null when it must be rejected. `pending` counts the continuation bytes
 * still owed by an encoded multi-byte UTF-8 sequence; lo/hi bound the next one (RFC 3629 table:
 * the narrowed first-continuation ranges exclude overlongs, surrogates and > U+10FFFF).
 */
function decodeSegment(piece: string): string | null {
  let out = '';
  let pending = 0;
  let lo = 0x80;
  let hi = 0xbf;
  for (let i = 0; i < piece.length; i++) {
    const c = piece.charCodeAt(i);
    if (c === PERCENT) {
      const b = (hexValue(piece.charCodeAt(i + 1)) << 4) | hexValue(piece.charCodeAt(i + 2));
      if (b < 0) return null; // also covers a truncated `%4` (NaN char code -> -1)
      i += 2;
      if (pending > 0) {
        if (b < lo || b > hi) return null;
        pending--;
        lo = 0x80;
        hi = 0xbf;
        out += ESCAPES[b];
      } else if (b < 0x80) {
        if (b === 0 || b === SLASH || b === BACKSLASH) return null;
        out += isUnreserved(b) ? String.fromCharCode(b) : ESCAPES[b];
      } else {
        pending = utf8Lead(b);
        if (pending === 0) return null;
        lo = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
        hi = b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf;
        out += ESCAPES[b];
      }
      continue;
    }
    if (pending > 0 || c < 0x20 || c === DEL || c === BACKSLASH) return null;
    if (c < 0x80) {
      out += piece.charAt(i);
      continue;
    }
    const encoded = encodeRaw(piece, i);
    if (encoded === null) return null;
    out += encoded;
    if (c >= 0xd800 && c <= 0xdbff) i++;
  }
  return pending > 0 ? null : out;
}

/** Continuation bytes a valid lead byte announces; 0 for a byte that cannot lead. */
function utf8Lead(b: number): number {
  if (b >= 0xc2 && b <= 0xdf) return 1;
  if (b >= 0xe0 && b <= 0xef) return 2;
  if (b >= 0xf0 && b <= 0xf4) return 3;
  return 0;
}

/** Percent-encodes the raw non-ASCII character at i (a surrogate pair counts as one). */
function encodeRaw(piece: string, i: number): string | null {
  const c = piece.charCodeAt(i);
  if (c === 0xfffd || (c >= 0xdc00 && c <= 0xdfff)) return null;
  let cp = c;
  if (c >= 0xd800 && c <= 0xdbff) {
    const d = piece.charCodeAt(i + 1);
    if (!(d >= 0xdc00 && d <= 0xdfff)) return null;
    cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
  }
  if (cp < 0x800) return ESCAPES[0xc0 | (cp >> 6)]! + ESCAPES[0x80 | (cp & 0x3f)]!;
  if (cp < 0x10000) {
    return ESCAPES[0xe0 | (cp >> 12)]! + ESCAPES[0x80 | ((cp >> 6) & 0x3f)]!
      + ESCAPES[0x80 | (cp & 0x3f)]!;
  }
  return ESCAPES[0xf0 | (cp >> 18)]! + ESCAPES[0x80 | ((cp >> 12) & 0x3f)]!
    + ESCAPES[0x80 | ((cp >> 6) & 0x3f)]! + ESCAPES[0x80 | (cp & 0x3f)]!;
}
