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
 * Renders the list, keeping the lowercase names `keep` accepts. A string value is written as
 * UTF-8 (as uWS writes a string), a Buffer value (obs-text from the upstream) as its bytes.
 *
 * A `server` line, when there is one, is rendered first, so that a hit can tell from the first
 * name alone (storedHasServer) that the answer brings its own and the gateway's `serverTokens`
 * header must not be added: the answer would carry two.
 */
export function renderHead(headers: HeaderList, keep: (name: string) => boolean): RenderedHead {
  const parts: Buffer[] = [];
  let nameLength = 0;
  const add = (name: string, value: string | Buffer): void => {
    if (parts.length > 0) parts.push(CRLF);
    else nameLength = Buffer.byteLength(name);
    parts.push(Buffer.from(name), COLON, typeof value === 'string' ? Buffer.from(value) : value);
  };
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === 'server' && keep('server')) add('server', headers[i + 1]!);
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i] as string;
    if (name !== 'server' && keep(name)) add(name, headers[i + 1]!);
  }
  return { block: Buffer.concat(parts), nameLength };
}

const SERVER = [0x73, 0x65, 0x72, 0x76, 0x65, 0x72]; // "server"

/** Whether rendered lines (renderHead: a Server line comes first) hold the answer's own Server header. */
export function storedHasServer(head: Uint8Array, nameLength: number): boolean {
  if (nameLength !== 6) return false;
  for (let i = 0; i < 6; i++) if (head[i] !== SERVER[i]) return false;
  return true;
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
