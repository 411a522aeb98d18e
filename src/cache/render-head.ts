// Header lines of a cached answer, rendered once when it is stored exactly as uWS writes them
// ("name: value", lines joined by CRLF, no final CRLF), so that a hit writes them in one call.
import type { HeaderList } from '../pipeline/exchange.js';

export interface RenderedHead {
  block: Buffer;
  /** Bytes of the first name; 0 when there are no lines. */
  nameLength: number;
}

const COLON = Buffer.from(': ');
const CRLF = Buffer.from('\r\n');

/**
 * Renders the list, leaving out the lowercase names in `skip`. A string value is written as UTF-8
 * (as uWS writes a string), a Buffer value (obs-text from the upstream) as its bytes.
 */
export function renderHead(headers: HeaderList, skip: ReadonlySet<string>): RenderedHead {
  const parts: Buffer[] = [];
  let nameLength = 0;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i] as string;
    if (skip.has(name)) continue;
    const value = headers[i + 1]!;
    if (parts.length > 0) parts.push(CRLF);
    else nameLength = Buffer.byteLength(name);
    parts.push(Buffer.from(name), COLON, typeof value === 'string' ? Buffer.from(value) : value);
  }
  return { block: Buffer.concat(parts), nameLength };
}

/** The lines of a rendered block back as a list (names lowercase as stored; values as bytes when not ASCII). */
export function parseHead(block: Uint8Array): (string | Buffer)[] {
  const out: (string | Buffer)[] = [];
  const buf = Buffer.from(block.buffer, block.byteOffset, block.length);
  let at = 0;
  while (at < buf.length) {
    let end = buf.indexOf(CRLF, at);
    if (end < 0) end = buf.length;
    const colon = buf.indexOf(COLON, at);
    if (colon < 0 || colon > end) break;
    const value = buf.subarray(colon + 2, end);
    out.push(buf.toString('latin1', at, colon), isAscii(value) ? value.toString('latin1') : Buffer.from(value));
    at = end + 2;
  }
  return out;
}

function isAscii(bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! > 0x7f) return false;
  return true;
}
