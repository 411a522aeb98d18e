// The framing divergences of the bundled uWS build that the gateway cannot see, let alone
// refuse (README, known limitations), and how the invariant check accounts for exactly them:
//
// - A header line with an empty name (`: value`) ends the header list uWS hands over. uWS still
//   checks that line and the lines after it, but neither its own framing (Content-Length,
//   Transfer-Encoding, Host) nor the gateway sees them, so a body announced after such a line is
//   read as the next request.
// - uWS trims HTAB, SP and bytes >= 0x80 at either end of a header value before anyone sees it,
//   so it reads `Content-Length: 5<HTAB>` or `Content-Length: 5é` as 5 (llhttp refuses both), and
//   the gateway is handed `5`.
//
// For an input with either, the check also asks the strict parser about the input as uWS reads
// it: the empty-name line and every header line after it in the same head renamed
// `x-uws-hidden-…` (still checked by llhttp, but framing nothing and not forwarded), and
// Content-Length values trimmed as uWS trims them. A forwarded request may match a request of
// that reading. Other header values need no rewriting: llhttp accepts them with or without
// those bytes at their ends, and the header comparison trims them as uWS does.

export const HIDDEN_PREFIX = 'x-uws-hidden-';

const CRLF = '\r\n';
const UWS_TRIMMED = /^[\t \x80-\xff]+|[\t \x80-\xff]+$/g;

/** A header value as uWS hands it over (llhttp has trimmed SP and HTAB already). */
export function uwsTrimmed(value: string): string {
  return value.replace(UWS_TRIMMED, '');
}

/** The input as uWS frames it, or null when it has nothing uWS reads differently. */
export function uwsReading(bytes: Buffer): Buffer | null {
  const text = bytes.toString('latin1');
  let out = '';
  let at = 0;
  let changed = false;
  while (at < text.length) {
    const end = text.indexOf(CRLF + CRLF, at);
    if (end < 0) break;
    const lines = text.slice(at, end).split(CRLF);
    const hideFrom = lines.findIndex((line, i) => i > 0 && line.startsWith(':'));
    const visibleEnd = hideFrom < 0 ? lines.length : hideFrom;
    let length: string | undefined;
    let chunked = false;
    for (let i = 1; i < lines.length; i++) {
      if (i >= visibleEnd) {
        lines[i] = HIDDEN_PREFIX + lines[i];
        changed = true;
        continue;
      }
      const colon = lines[i]!.indexOf(':');
      const name = lines[i]!.slice(0, colon).toLowerCase();
      if (name === 'transfer-encoding') chunked = true;
      if (name !== 'content-length') continue;
      const value = lines[i]!.slice(colon + 1);
      const trimmed = uwsTrimmed(value);
      if (value !== ' ' + trimmed) {
        lines[i] = lines[i]!.slice(0, colon + 1) + ' ' + trimmed;
        changed = true;
      }
      length ??= trimmed;
    }
    out += lines.join(CRLF) + CRLF + CRLF;
    at = end + 4;
    // A chunked body is refused by the gateway with its connection: nothing after it matters.
    if (chunked) break;
    if (length === undefined) continue;
    if (!/^\d{1,9}$/.test(length)) break;
    out += text.slice(at, at + Number(length));
    at += Number(length);
  }
  return changed ? Buffer.from(out + text.slice(at), 'latin1') : null;
}
