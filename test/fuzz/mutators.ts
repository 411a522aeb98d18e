// The mutations: each changes one part of a well-formed request stream the way a broken client,
// a lenient front proxy or a smuggling attempt would, and returns a label saying what it did
// (null when it does not apply to this stream). Structured ones work on the messages; the
// byte-level ones on the serialised stream.
import type { Rng } from './prng.js';
import {
  keyOf, randomBody, randomText, serializeMessage, setChunked, setLengthBody, wellFormedMessage,
  type Header, type Message,
} from './messages.js';

export interface Stream {
  caseIndex: number;
  messages: Message[];
  /** Bytes before the first request line and after the last message. */
  prefix: string;
  suffix: string;
}

type Mutator = (s: Stream, rng: Rng) => string | null;

const show = (s: string): string => JSON.stringify(s);

/** Bytes that break parsers: line ends, NUL, controls, DEL, obs-text, UTF-8 and broken UTF-8. */
const ODD_BYTES = [
  '\r', '\n', '\r\n', '\x00', '\t', '\x01', '\x0b', '\x0c', '\x1b', '\x7f', '\x80', '\xff', ' ', ',', ';', ':', '"',
  '\xc3\xa9', '\xe2\x82\xac', '\xf0\x9f\x98\x80', '\xc3', '\xed\xa0\x80', '\xc4\x8a', '\xc4\x8d',
];

function pickMessage(s: Stream, rng: Rng): Message {
  return rng.pick(s.messages);
}

function pickHeader(msg: Message, rng: Rng): Header | null {
  return msg.headers.length === 0 ? null : rng.pick(msg.headers);
}

function insertAt(text: string, at: number, piece: string): string {
  return text.slice(0, at) + piece + text.slice(at);
}

const headerName: Mutator = (s, rng) => {
  const h = pickHeader(pickMessage(s, rng), rng);
  if (h === null) return null;
  const before = h.name;
  switch (rng.int(0, 5)) {
    case 0: h.name = rng.chance(0.5) ? h.name.toUpperCase() : h.name.toLowerCase(); break;
    case 1: h.name = insertAt(h.name, rng.int(0, h.name.length), rng.pick([' ', '\t', '\x00', '\x7f', '\x80', '\xc3\xa9', '"', '(', '/', '@', '[', '_', '.', '~', '!', "'", ':', '\r', '\n'])); break;
    case 2: h.name = h.name.slice(0, Math.max(0, h.name.length - rng.int(1, 3))); break;
    case 3: h.name = ''; break;
    case 4: h.name = h.name + randomText(rng, 'abcdefghij-', 50, 120); break;
    default: h.name = h.name.replace(/-/g, '_');
  }
  return `header name ${show(before)} -> ${show(h.name)}`;
};

const headerValue: Mutator = (s, rng) => {
  const h = pickHeader(pickMessage(s, rng), rng);
  if (h === null) return null;
  const before = h.value;
  switch (rng.int(0, 5)) {
    case 0:
    case 1: h.value = insertAt(h.value, rng.int(0, h.value.length), rng.pick(ODD_BYTES)); break;
    case 2: h.value = rng.pick(['', ' ', '\t', ' \t ']); break;
    case 3: h.value = rng.pick([' ', '\t', '\xc3\xa9', '\x80']) + h.value + rng.pick(['', ' ', '\t', '\xc3\xa9', '\xa0']); break;
    case 4: h.value = h.value + randomText(rng, 'abcdefghij ,;=', 200, 3000); break;
    default: h.value = rng.pick(ODD_BYTES) + h.value + rng.pick(ODD_BYTES);
  }
  return `header ${show(h.name)} value ${show(before)} -> ${show(h.value)}`;
};

const obsFold: Mutator = (s, rng) => {
  const h = pickHeader(pickMessage(s, rng), rng);
  if (h === null) return null;
  const fold = rng.pick(['\r\n ', '\r\n\t', '\n ', '\r\n  \t']);
  const at = rng.int(0, h.value.length);
  h.value = h.value.slice(0, at) + fold + (h.value.slice(at) || 'folded');
  return `obs-fold in ${show(h.name)}: ${show(h.value)}`;
};

const duplicateHeader: Mutator = (s, rng) => {
  const msg = pickMessage(s, rng);
  const preferred = msg.headers.filter((h) => /^(host|content-length|transfer-encoding|connection|x-request-id)$/i.test(h.name));
  const h = preferred.length > 0 && rng.chance(0.7) ? rng.pick(preferred) : pickHeader(msg, rng);
  if (h === null) return null;
  const copy = { ...h };
  if (rng.chance(0.5)) {
    copy.value = /^content-length$/i.test(h.name) ? String(Number(h.value) + rng.pick([-1, 1, 0, 10]))
      : /^host$/i.test(h.name) ? rng.pick(['internal.fz.test', 'fz.test', '127.0.0.1:1'])
      : rng.pick(['chunked', 'close', 'other', '']);
  }
  if (rng.chance(0.5)) copy.name = rng.chance(0.5) ? h.name.toLowerCase() : h.name.toUpperCase();
  msg.headers.splice(rng.int(0, msg.headers.length), 0, copy);
  return `duplicate ${show(h.name)}: ${show(h.value)} + ${show(copy.name)}: ${show(copy.value)}`;
};

const separators: Mutator = (s, rng) => {
  const msg = pickMessage(s, rng);
  const h = pickHeader(msg, rng);
  switch (rng.int(0, 6)) {
    case 0:
      if (h === null) return null;
      h.sep = rng.pick([':', ':  ', ':\t', ' :', ' : ', '\t:', '::', ': \r\n ', ':\x00', ':\x0b', ':\r']);
      return `separator after ${show(h.name)}: ${show(h.sep)}`;
    case 1:
      if (h === null) return null;
      h.eol = rng.pick(['\n', '\r', '\r\r\n', '\n\r', ' \r\n', '\t\r\n', '\r\n\r\n', '\r \n', '\x00\r\n']);
      return `line end after ${show(h.name)}: ${show(h.eol)}`;
    case 2:
      msg.seps = [rng.pick([' ', '  ', '\t', '', ' \t']), rng.pick([' ', '  ', '\t', '', '\x0b'])];
      return `request-line separators ${show(msg.seps.join('|'))}`;
    case 3:
      msg.version = rng.pick(['HTTP/1.0', 'HTTP/1.2', 'HTTP/2.0', 'http/1.1', 'HTTP/1.1 ', 'HTTP/11', '', 'HTTP/1.1\x00', 'HTTP/01.1', 'HTTP/1.10', 'HTTPS/1.1']);
      return `version ${show(msg.version)}`;
    case 4:
      msg.lineEol = rng.pick(['\n', '\r', '\r\r\n', ' \r\n', '\r\n\r\n']);
      return `request-line end ${show(msg.lineEol)}`;
    case 5:
      msg.headEnd = rng.pick(['\n', '\r', '', '\r\n\r\n', ' \r\n', '\r\r\n']);
      return `head end ${show(msg.headEnd)}`;
    default:
      s.prefix = rng.pick(['\r\n', '\r\n\r\n', '\n', ' ', '\x00']) + s.prefix;
      return `bytes before the request line ${show(s.prefix)}`;
  }
};

function contentLengthOf(msg: Message): Header | undefined {
  return msg.headers.find((h) => /^content-length$/i.test(h.name));
}

const contentLength: Mutator = (s, rng) => {
  const msg = pickMessage(s, rng);
  if (msg.chunked !== null) msg.chunked = null;
  if (contentLengthOf(msg) === undefined) setLengthBody(msg, randomBody(rng), rng);
  const h = contentLengthOf(msg)!;
  const n = msg.body.length;
  const before = h.value;
  switch (rng.int(0, 3)) {
    case 0:
      h.value = rng.pick([`${n}, ${n}`, `${n},${n}`, `${n}, ${n + 1}`, ` ${n}`, `${n} `, `+${n}`, '-1', `0x${n.toString(16)}`, `0${n}`, `${n}\t`, '', `${n}.0`, `${n}e0`, '99999999999999999999', '18446744073709551616', `${n} ${n}`, `${n},`]);
      break;
    case 1:
      h.value = String(Math.max(0, n + rng.pick([-5, -1, 1, 5, 40])));
      break;
    case 2:
      msg.headers.push({ ...h, value: rng.pick([String(n), String(n + 1), String(Math.max(0, n - 1)), `${n}, ${n}`]) });
      return `a second Content-Length ${show(msg.headers[msg.headers.length - 1]!.value)} beside ${show(h.value)}`;
    default:
      msg.headers = msg.headers.filter((x) => x !== h);
      return `Content-Length removed (body of ${n} bytes stays)`;
  }
  return `Content-Length ${show(before)} -> ${show(h.value)}`;
};

const TE_VALUES = [
  'chunked', 'Chunked', 'CHUNKED', ' chunked', 'chunked ', 'chunked, chunked', 'gzip, chunked', 'chunked, gzip', 'identity',
  'xchunked', 'chunkedx', ',chunked', 'chunked;q=1', '\tchunked', 'chunked\x0b', 'identity, chunked', 'chunked,', 'gzip',
];

const transferEncoding: Mutator = (s, rng) => {
  const msg = pickMessage(s, rng);
  if (msg.chunked === null) setChunked(msg, rng, msg.body === '' ? randomBody(rng) : msg.body);
  let te = msg.headers.find((h) => /^transfer-encoding$/i.test(h.name));
  if (te === undefined) {
    // An earlier mutation renamed the header: a chunked body announces itself again.
    te = { name: 'Transfer-Encoding', sep: ': ', value: 'chunked', eol: '\r\n' };
    msg.headers.push(te);
  }
  switch (rng.int(0, 3)) {
    case 0:
      te.value = rng.pick(TE_VALUES);
      return `Transfer-Encoding ${show(te.value)}`;
    case 1:
      msg.headers.push({ ...te, value: rng.pick(TE_VALUES) });
      return `two Transfer-Encoding lines ${show(te.value)} and ${show(msg.headers[msg.headers.length - 1]!.value)}`;
    case 2: {
      const length = serializeMessage(msg).length - serializeMessage({ ...msg, chunked: null, body: '' }).length;
      msg.headers.splice(rng.int(0, msg.headers.length), 0, { name: 'Content-Length', sep: ': ', value: String(rng.chance(0.5) ? length : 0), eol: '\r\n' });
      return `Content-Length ${msg.headers.find((h) => /^content-length$/i.test(h.name))!.value} beside Transfer-Encoding`;
    }
    default:
      return 'chunked body';
  }
};

const chunks: Mutator = (s, rng) => {
  const msg = s.messages.find((m) => m.chunked !== null) ?? pickMessage(s, rng);
  if (msg.chunked === null) setChunked(msg, rng, randomBody(rng));
  const body = msg.chunked!;
  const c = body.chunks.length > 0 ? rng.pick(body.chunks) : null;
  switch (rng.int(0, 6)) {
    case 0:
      if (c === null) return null;
      c.size = rng.pick([`0${c.size}`, `${c.size} `, `0x${c.size}`, `+${c.size}`, `-${c.size}`, c.size.toUpperCase(), '', 'ffffffffffffffffff', (parseInt(c.size, 16) + 1).toString(16), (Math.max(0, parseInt(c.size, 16) - 1)).toString(16), `${c.size}\t`]);
      return `chunk size ${show(c.size)} for ${c.data.length} bytes`;
    case 1:
      if (c === null) return null;
      c.ext = rng.pick([';a=b', ';a="q;r"', '; a=b', ';', ';a', ';\x00', ';a=b;c', ' ;a=b', ';a="\r\n"', ';' + 'e'.repeat(300)]);
      return `chunk extension ${show(c.ext)}`;
    case 2:
      if (c === null) return null;
      c.sizeEol = rng.pick(['\n', '\r', '', '\r\r\n']);
      return `chunk size line end ${show(c.sizeEol)}`;
    case 3:
      if (c === null) return null;
      c.dataEol = rng.pick(['', '\n', 'XX', '\r', 'XX\r\n']);
      return `chunk data end ${show(c.dataEol)}`;
    case 4:
      body.last = rng.pick(['00', '0;ext=1', '0 ', '', '1']);
      return `last chunk ${show(body.last)}`;
    case 5:
      body.trailers = rng.pick(['X-T: 1\r\n', 'Content-Length: 5\r\n', 'Transfer-Encoding: chunked\r\n', 'X T: 1\r\n', ': x\r\n']);
      return `trailer ${show(body.trailers)}`;
    default:
      body.end = rng.pick(['', '\n', '\r\n\r\n']);
      return `chunked body end ${show(body.end)}`;
  }
};

const target: Mutator = (s, rng) => {
  const msg = pickMessage(s, rng);
  const before = msg.target;
  const q = msg.target.indexOf('?');
  const path = q < 0 ? msg.target : msg.target.slice(0, q);
  const query = q < 0 ? '' : msg.target.slice(q);
  switch (rng.int(0, 4)) {
    case 0:
      msg.target = rng.pick(['http://fz.test', 'https://fz.test', 'http://other.test:81', 'HTTP://fz.test', 'http://user@fz.test', '//fz.test']) + msg.target;
      break;
    case 1:
      msg.target = rng.pick(['*', 'fz.test:80', '', '/', 'fz.test', '?a=1']);
      break;
    case 2: {
      const slash = path.lastIndexOf('/');
      const piece = rng.pick(['//', '/./', '/../', '/%2e%2e/', '/%2E/', '%2F', '%41', '%00', '%zz', '%', ' ', '\x7f', '\xc3\xa9', '\xff', '\\', '/..', '#frag', ';p=1', '%c3%a9', '%2f', '%5C', '\t']);
      msg.target = path.slice(0, slash + 1) + piece + path.slice(slash + 1) + query;
      break;
    }
    case 3:
      msg.target = path + rng.pick(['?', '?a', '?a=\xc3\xa9', '?a=\xff', '?a b', '?a=%00', '?#', '??', '?a=\x01', '?a=\x7f']);
      break;
    default:
      msg.target = path + query + rng.pick(['#', '#f', '#f?g', '?x#y']);
  }
  return `target ${show(before)} -> ${show(msg.target)}`;
};

const method: Mutator = (s, rng) => {
  const msg = pickMessage(s, rng);
  const before = msg.method;
  msg.method = rng.pick([msg.method.toLowerCase(), 'FOO', 'PURGE', 'CONNECT', 'TRACE', 'QUERY', 'G ET', '', 'M-SEARCH', 'PRI', 'Get', 'GET\x00', 'PROPFIND', 'SEARCH']);
  return `method ${show(before)} -> ${show(msg.method)}`;
};

const pipelinedTail: Mutator = (s, rng) => {
  switch (rng.int(0, 3)) {
    case 0:
    case 1: {
      const tail = wellFormedMessage(rng, keyOf(s.caseIndex, s.messages.length), true);
      s.messages.push(tail);
      return `pipelined ${tail.method} ${show(tail.target)}`;
    }
    case 2:
      s.suffix += rng.pick(['\r\n', 'GARBAGE\r\n\r\n', 'GET /api/fz/partial HTTP/1.1\r\nHost: fz', '0\r\n\r\n', 'HTTP/1.1 200 OK\r\n\r\n', '\x00\x00']);
      return `tail bytes ${show(s.suffix)}`;
    default: {
      if (s.messages.length < 2) return null;
      const copy = structuredClone(s.messages[rng.int(0, s.messages.length - 1)]!);
      s.messages.splice(rng.int(0, s.messages.length), 0, copy);
      return `request repeated: ${copy.method} ${show(copy.target)}`;
    }
  }
};

/** A body that carries a whole request: what a front proxy framing by another length forwards. */
const smuggledBody: Mutator = (s, rng) => {
  const msg = pickMessage(s, rng);
  const hidden = wellFormedMessage(rng, keyOf(s.caseIndex, s.messages.length + 50), true);
  const bytes = serializeMessage(hidden);
  const declared = msg.chunked === null ? msg.body.length : 0;
  if (msg.chunked !== null) {
    msg.chunked.trailers = '';
    msg.chunked.end = '\r\n' + bytes;
  } else {
    msg.body += bytes;
    if (rng.chance(0.5)) {
      const cl = contentLengthOf(msg);
      if (cl !== undefined) cl.value = String(declared);
    }
  }
  return `a request after the body of ${show(msg.target)}: ${hidden.method} ${show(hidden.target)}`;
};

const rechunk: Mutator = (s, rng) => {
  const msg = pickMessage(s, rng);
  if (msg.chunked !== null) {
    const body = msg.chunked.chunks.map((c) => c.data).join('');
    setLengthBody(msg, body, rng);
    return 'chunked body sent with a Content-Length';
  }
  setChunked(msg, rng, msg.body === '' ? randomBody(rng) : msg.body);
  return 'body sent chunked';
};

export const STRUCTURED: readonly (readonly [string, Mutator])[] = [
  ['header-name', headerName], ['header-value', headerValue], ['obs-fold', obsFold],
  ['duplicate-header', duplicateHeader], ['separators', separators], ['content-length', contentLength],
  ['transfer-encoding', transferEncoding], ['chunks', chunks], ['target', target], ['method', method],
  ['pipelined-tail', pipelinedTail], ['smuggled-body', smuggledBody], ['rechunk', rechunk],
];

/** Byte-level havoc on the serialised stream: what no structured mutator thought of. */
export function mutateBytes(bytes: Buffer, rng: Rng): [Buffer, string] {
  if (bytes.length === 0) {
    const piece = rng.pick(ODD_BYTES);
    return [Buffer.from(piece, 'latin1'), `an empty stream became ${show(piece)}`];
  }
  const at = rng.int(0, bytes.length - 1);
  switch (rng.int(0, 3)) {
    case 0: {
      const out = Buffer.from(bytes);
      const was = out[at] ?? 0;
      out[at] = rng.chance(0.5) ? rng.int(0, 255) : rng.pick([0, 9, 10, 13, 32, 44, 58, 59, 127, 128, 255]);
      return [out, `byte ${at} 0x${was.toString(16)} -> 0x${out[at]!.toString(16)}`];
    }
    case 1: {
      const piece = Buffer.from(rng.pick(ODD_BYTES), 'latin1');
      return [Buffer.concat([bytes.subarray(0, at), piece, bytes.subarray(at)]), `inserted ${show(piece.toString('latin1'))} at ${at}`];
    }
    case 2: {
      const n = rng.int(1, 4);
      return [Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + n)]), `deleted ${n} bytes at ${at}`];
    }
    default:
      return [bytes.subarray(0, at), `truncated to ${at} bytes`];
  }
}
