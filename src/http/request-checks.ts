/**
 * Checks on what uWS hands over of a request before anything of it is routed or forwarded.
 *
 * uWS decodes header values, the Host and the query string as UTF-8 into JS strings: a valid
 * multi-byte sequence becomes one code point (U+010A for the bytes C4 8A), an invalid byte
 * becomes U+FFFD. The upstream client writes strings back as UTF-8, which restores exactly the
 * bytes the client sent for valid UTF-8; U+FFFD means bytes were lost, so such a value is
 * refused rather than forwarded altered. Control characters (CR, LF, NUL and the rest of C0,
 * DEL) are never valid in a field value (RFC 9110 §5.5), and a request target is visible ASCII.
 *
 * Cost on the common all-ASCII request: one regex test per value (irregexp's native loop over a
 * single character class); only a value that contains something else takes the slow path.
 */

/** Anything but HTAB and visible ASCII plus space: sends a field value to the slow check. */
const UNUSUAL_VALUE = /[^\t\x20-\x7e]/;
/** Never valid in a field value: C0 controls but HTAB, DEL, and uWS's stand-in for non-UTF-8. */
const BAD_VALUE = /[\x00-\x08\x0a-\x1f\x7f\ufffd]/;

/** True when `value` may be forwarded as a field value (written back as UTF-8). */
export function isFieldValue(value: string): boolean {
  return !UNUSUAL_VALUE.test(value) || !BAD_VALUE.test(value);
}

/** Anything outside visible ASCII: never valid in a request target. */
const NOT_VISIBLE_ASCII = /[^\x21-\x7e]/;

/**
 * True when the query may be forwarded unchanged. A request-target is ASCII (RFC 9112 §3.2,
 * RFC 3986: other bytes are percent-encoded); strict parsers (Node's llhttp, HAProxy) refuse raw
 * bytes >= 0x80 in it, so an upstream behind such a parser could not read the request, and a
 * front proxy that refuses them never sends them: accepting them here only opens a difference.
 */
export function isForwardableQuery(query: string): boolean {
  return !NOT_VISIBLE_ASCII.test(query);
}

/** A path character outside ASCII (uWS hands the path over decoded as UTF-8). */
const NON_ASCII = /[^\x00-\x7f]/;

/** True when the raw path holds a character outside ASCII (see isForwardableQuery). */
export function hasNonAsciiPath(url: string): boolean {
  return NON_ASCII.test(url);
}

/**
 * Whether the client's Connection header ends the connection with this exchange: `close`
 * (RFC 9112 §9.6), or `upgrade`, since the gateway never switches protocols and a strict parser
 * (llhttp) reads nothing after such a request as HTTP. Either way nothing the client sent behind
 * it on the connection is served.
 */
export function endsConnection(connection: string): boolean {
  for (const part of connection.split(',')) {
    const option = part.trim().toLowerCase();
    if (option === 'close' || option === 'upgrade') return true;
  }
  return false;
}

/**
 * RFC 9112 §3.2 / RFC 3986 §3.2.2: `uri-host [ ":" port ]`, where uri-host is an IP-literal in
 * brackets, or a reg-name (unreserved, pct-encoded, sub-delims; an IPv4 address is one too).
 * An empty Host is allowed (a target without authority). Anything else (spaces, '/', '@',
 * non-ASCII) is a 400: it would be matched against routes and forwarded as X-Forwarded-Host.
 */
const REG_NAME_HOST = /^[A-Za-z0-9\-._~!$&'()*+,;=%]*(?::[0-9]{0,5})?$/;
const BAD_ESCAPE = /%(?![0-9A-Fa-f]{2})/;
const BRACKETED_HOST = /^\[[0-9A-Fa-f:.]+\](?::[0-9]{0,5})?$/;

export function isValidHost(host: string): boolean {
  if (host.charCodeAt(0) === 91 /* [ */) return BRACKETED_HOST.test(host);
  return REG_NAME_HOST.test(host) && (host.indexOf('%') < 0 || !BAD_ESCAPE.test(host));
}

/**
 * What the edge does with a request's Transfer-Encoding header lines:
 * - chunked: exactly one line, exactly `chunked`, the only form uWS is known to frame as we do;
 * - unsupported: a coding the gateway does not implement (gzip, identity, unknown tokens): 501;
 * - invalid: not a coding list, `chunked` not last or repeated, several lines: 400.
 */
export type TransferCoding = 'chunked' | 'unsupported' | 'invalid';

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Classifies the Transfer-Encoding lines of a request. uWS's own chunked detection accepts
 * values such as `xchunked`, `chunkedx`, `identity, chunked` or two `chunked` lines, and then
 * frames the body differently from a strict front proxy, so only the one exact form passes.
 */
export function classifyTransferEncoding(values: readonly string[]): TransferCoding {
  if (values.length === 1 && values[0] === 'chunked') return 'chunked';
  const codings: string[] = [];
  for (const value of values) {
    for (const part of value.split(',')) {
      const coding = part.trim();
      // A parameter (`gzip;q=1`) is legal syntax for a coding we do not implement anyway.
      const name = coding.split(';')[0]!.trim();
      if (!TOKEN.test(name)) return 'invalid';
      codings.push(name.toLowerCase());
    }
  }
  const chunkedAt = codings.indexOf('chunked');
  // RFC 9112 §6.3: chunked must be the final coding and applied once; a request whose framing
  // cannot be determined is a 400 and the connection is closed.
  if (chunkedAt >= 0 && (chunkedAt !== codings.length - 1 || codings.lastIndexOf('chunked') !== chunkedAt)) return 'invalid';
  if (values.length > 1) return 'invalid';
  // `Chunked` or `chunked ` spelled otherwise than uWS expects: refused as malformed, not guessed.
  if (codings.length === 1 && chunkedAt === 0) return 'invalid';
  return 'unsupported';
}
