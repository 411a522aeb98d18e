// Well-formed HTTP/1.1 request streams as data: every byte of a request (separators, line ends,
// chunk sizes) is a field, so a mutator changes one part and serialisation keeps the rest exact.
// Strings are latin1: one char per byte.
import type { Rng } from './prng.js';

export interface Header {
  name: string;
  /** Between the name and the value: ': ' when well-formed. */
  sep: string;
  value: string;
  eol: string;
}

export interface Chunk {
  size: string;
  ext: string;
  sizeEol: string;
  data: string;
  dataEol: string;
}

export interface ChunkedBody {
  chunks: Chunk[];
  /** The last-chunk line, '0' when well-formed, and what follows it. */
  last: string;
  trailers: string;
  end: string;
}

export interface Message {
  method: string;
  target: string;
  version: string;
  /** Method-target and target-version separators. */
  seps: [string, string];
  lineEol: string;
  headers: Header[];
  headEnd: string;
  /** Raw bytes after the head when the message is not chunked. */
  body: string;
  chunked: ChunkedBody | null;
}

/** Where a generated target points: each base is a different way the gateway answers. */
export const PATH_BASES = {
  /** Proxied to the fuzz upstream (answered asynchronously). */
  proxy: '/api/fz/',
  /** No route: 404 from the gateway itself (answered synchronously). */
  none: '/nope/fz/',
  /** A route that takes GET and HEAD only: others get 405 synchronously. */
  getOnly: '/get-only/fz/',
  /** A `respond` route: 200 from the gateway itself. */
  respond: '/here/fz/',
} as const;

/** The key that marks each generated request: case number and message number. */
export const KEY = /k(\d+)x(\d+)/;

export function keyOf(caseIndex: number, message: number): string {
  return `k${caseIndex}x${message}`;
}

const TOKEN_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-';
const VALUE_CHARS = TOKEN_CHARS + ' !"#$%&\'()*+,./:;<=>?@[\\]^_`{|}~';

export function randomText(rng: Rng, alphabet: string, lo: number, hi: number): string {
  let out = '';
  for (let n = rng.int(lo, hi); n > 0; n--) out += alphabet[rng.int(0, alphabet.length - 1)];
  return out;
}

/** A body: printable text mostly, any bytes sometimes (bodies are opaque to the framing). */
export function randomBody(rng: Rng): string {
  if (rng.chance(0.25)) {
    let out = '';
    for (let n = rng.int(1, 64); n > 0; n--) out += String.fromCharCode(rng.int(0, 255));
    return out;
  }
  return randomText(rng, VALUE_CHARS, 1, rng.chance(0.1) ? 2000 : 120);
}

const header = (name: string, value: string): Header => ({ name, sep: ': ', value, eol: '\r\n' });

const OPTIONAL_HEADERS: ((rng: Rng) => Header)[] = [
  () => header('User-Agent', 'tollgate-fuzz/1.0'),
  (rng) => header('Accept', rng.pick(['*/*', 'application/json', 'text/html, application/xhtml+xml;q=0.9'])),
  () => header('Accept-Encoding', 'gzip, deflate, br'),
  (rng) => header('Cookie', `session=${randomText(rng, TOKEN_CHARS, 8, 24)}; theme=dark`),
  (rng) => header('Authorization', `Bearer ${randomText(rng, TOKEN_CHARS, 16, 40)}`),
  (rng) => header('X-Api-Key', randomText(rng, TOKEN_CHARS, 8, 32)),
  (rng) => header(`X-Fz-${randomText(rng, TOKEN_CHARS, 1, 8)}`, randomText(rng, VALUE_CHARS, 0, 40)),
  (rng) => header('If-None-Match', `"${randomText(rng, TOKEN_CHARS, 4, 12)}"`),
  () => header('Cache-Control', 'no-cache'),
  (rng) => header('X-Request-Id', randomText(rng, TOKEN_CHARS, 8, 36)),
  () => header('traceparent', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'),
  () => header('Keep-Alive', 'timeout=5'),
  () => header('TE', 'trailers'),
  () => header('Via', '1.1 edge-proxy'),
  () => header('Forwarded', 'for=192.0.2.60;proto=http'),
  () => header('X-Forwarded-For', '192.0.2.61'),
  () => header('X-Real-IP', '192.0.2.62'),
  () => header('Upgrade', 'websocket'),
];

export type Base = keyof typeof PATH_BASES;

const METHODS = ['GET', 'GET', 'GET', 'HEAD', 'POST', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];

/**
 * One well-formed request; `key` goes in its path so the request can be recognised upstream.
 * A request with another behind it is mostly one the gateway answers itself: behind a proxied
 * request, uWS closes the connection on the next one (README), so nothing behind it is read.
 */
export function wellFormedMessage(rng: Rng, key: string, last: boolean): Message {
  const base: Base = last ? rng.pick(['proxy', 'proxy', 'proxy', 'proxy', 'proxy', 'none', 'getOnly', 'respond'])
    : rng.pick(['proxy', 'none', 'respond', 'respond']);
  let target = PATH_BASES[base] + key;
  if (rng.chance(0.2)) target += '/' + randomText(rng, TOKEN_CHARS, 1, 12);
  if (rng.chance(0.3)) target += `?a=${rng.int(0, 999)}&b=${randomText(rng, TOKEN_CHARS, 0, 10)}`;
  const method = rng.pick(METHODS);
  const headers: Header[] = [header('Host', rng.pick(['fz.test', 'fz.test:8080', '127.0.0.1', 'api.fz.test']))];
  for (let n = rng.int(0, 5); n > 0; n--) headers.splice(rng.int(0, headers.length), 0, rng.pick(OPTIONAL_HEADERS)(rng));
  if (rng.chance(0.15)) {
    headers.push(header('Connection', 'keep-alive, X-Hop'), header('X-Hop', 'dropped'));
  } else if (rng.chance(0.04)) {
    headers.push(header('Connection', 'Upgrade'), header('Upgrade', rng.pick(['websocket', 'h2c'])));
  } else if (last && rng.chance(0.3)) {
    headers.push(header('Connection', 'close'));
  }
  const msg: Message = {
    method, target, version: 'HTTP/1.1', seps: [' ', ' '], lineEol: '\r\n', headers, headEnd: '\r\n', body: '', chunked: null,
  };
  const withBody = method === 'POST' || method === 'PUT' || method === 'PATCH' ? rng.chance(0.85) : rng.chance(0.05);
  if (withBody) {
    if (rng.chance(0.2)) setChunked(msg, rng, randomBody(rng));
    else setLengthBody(msg, randomBody(rng), rng);
  }
  return msg;
}

export function setLengthBody(msg: Message, body: string, rng: Rng): void {
  msg.chunked = null;
  msg.body = body;
  msg.headers = msg.headers.filter((h) => !/^(content-length|transfer-encoding)$/i.test(h.name));
  if (rng.chance(0.3)) msg.headers.push(header('Content-Type', 'application/octet-stream'));
  if (rng.chance(0.1)) msg.headers.push(header('Expect', '100-continue'));
  msg.headers.push(header('Content-Length', String(body.length)));
}

export function setChunked(msg: Message, rng: Rng, body: string): void {
  msg.headers = msg.headers.filter((h) => !/^(content-length|transfer-encoding)$/i.test(h.name));
  msg.headers.push(header('Transfer-Encoding', 'chunked'));
  const chunks: Chunk[] = [];
  let at = 0;
  while (at < body.length) {
    const n = Math.min(body.length - at, rng.int(1, Math.max(1, Math.ceil(body.length / 2))));
    chunks.push({ size: n.toString(16), ext: '', sizeEol: '\r\n', data: body.slice(at, at + n), dataEol: '\r\n' });
    at += n;
  }
  msg.body = '';
  msg.chunked = { chunks, last: '0', trailers: '', end: '\r\n' };
}

export function serializeMessage(msg: Message): string {
  let out = msg.method + msg.seps[0] + msg.target + msg.seps[1] + msg.version + msg.lineEol;
  for (const h of msg.headers) out += h.name + h.sep + h.value + h.eol;
  out += msg.headEnd;
  if (msg.chunked === null) return out + msg.body;
  for (const c of msg.chunked.chunks) out += c.size + c.ext + c.sizeEol + c.data + c.dataEol;
  return out + msg.chunked.last + '\r\n' + msg.chunked.trailers + msg.chunked.end;
}

export function serializeStream(messages: readonly Message[], prefix = '', suffix = ''): Buffer {
  return Buffer.from(prefix + messages.map(serializeMessage).join('') + suffix, 'latin1');
}
