// Black-box conformance of the gateway's HTTP/1.1 client towards its upstreams: what the client of
// the gateway gets, and what bytes and connections a scripted raw TCP upstream sees.
//
// Every upstream here is a scripted node:net server (test/helpers/scripted-upstream.ts). Tests
// that reason about connection reuse get an upstream of their own, so the gateway's pool for it
// holds only the connections that test opened.
import t, { type Test } from 'tap';
import http from 'node:http';
import net from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { Client, request } from 'undici';
import { startGateway, type GatewayProcess } from '../helpers/gateway-process.js';
import {
  openRawClient, rawRequest, sleep, startScriptedUpstream, waitFor,
  type RawResponse, type ScriptedRequest, type ScriptedUpstream,
} from '../helpers/scripted-upstream.js';

// name -> extra upstream settings. Each is routed as /<name>/* -> /*.
const UPSTREAMS: Record<string, string> = {
  main: '',
  chunk: '',
  head: '',
  nobody: '',
  nobody304: '',
  info: '',
  ka: '',
  cc: '',
  idle: '',
  pipe: '',
  pipe2: 'connections: 2, ',
  extra: '',
  hdr: '',
  req: '',
  early: '',
  queued: 'connections: 1, ',
};

const ups: Record<string, ScriptedUpstream> = {};
let gw: GatewayProcess;

const up = (name: string): ScriptedUpstream => {
  const u = ups[name];
  if (u === undefined) throw new Error('no upstream ' + name);
  return u;
};

t.before(async () => {
  for (const name of Object.keys(UPSTREAMS)) ups[name] = await startScriptedUpstream();
  const upstreams = Object.entries(UPSTREAMS)
    .map(([name, extra]) => `  ${name}: { ${extra}targets: [${up(name).url}], timeout: { response: 1s, idle: 1s } }`)
    .join('\n');
  const routes = Object.keys(UPSTREAMS)
    .map((name) => `  - { id: ${name}, match: { path: /${name}/* }, upstream: ${name}, rewrite: /* }`)
    .join('\n');
  gw = await startGateway(`
listen: { host: 127.0.0.1, port: 0 }
workers: 1
admin: { host: 127.0.0.1, port: 0 }
limits: { maxBodySize: 16mb, chunkedRequests: true }
upstreams:
${upstreams}
routes:
${routes}
`);
});

t.teardown(async () => {
  await gw?.stop();
  for (const u of Object.values(ups)) await u.close();
});

// ---------------------------------------------------------------------------------------------

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** A complete HTTP/1.1 answer with a Content-Length. */
const ok = (body: string | Buffer, extra = ''): Buffer => {
  const b = typeof body === 'string' ? Buffer.from(body, 'latin1') : body;
  return Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n${extra}Content-Length: ${b.length}\r\n\r\n`, 'latin1'), b]);
};

interface Got {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
}

/** One request through the gateway; rejects when the response is cut. */
async function get(path: string, opts: Parameters<typeof request>[1] = {}): Promise<Got> {
  const res = await request(gw.url + path, { signal: AbortSignal.timeout(8_000), ...opts });
  const body = Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, headers: res.headers, body, text: body.toString('latin1') };
}

interface Outcome {
  /** Status seen, 0 when the request itself failed. */
  status: number;
  /** The response was received whole, framing intact. */
  complete: boolean;
  body: Buffer;
  contentType: string | undefined;
  error: string;
  ms: number;
}

/** Like get(), but reports a cut response instead of rejecting. */
async function attempt(path: string, opts: Parameters<typeof request>[1] = {}): Promise<Outcome> {
  const started = Date.now();
  let status = 0;
  let contentType: string | undefined;
  try {
    const res = await request(gw.url + path, { signal: AbortSignal.timeout(8_000), ...opts });
    status = res.statusCode;
    contentType = res.headers['content-type'] as string | undefined;
    const body = Buffer.from(await res.body.arrayBuffer());
    return { status, complete: true, body, contentType, error: '', ms: Date.now() - started };
  } catch (err) {
    const e = err as Error & { code?: string };
    return { status, complete: false, body: Buffer.alloc(0), contentType, error: `${e.code ?? ''} ${e.message}`, ms: Date.now() - started };
  }
}

const describe = (o: Outcome): string =>
  o.complete ? `complete ${o.status} with ${o.body.length} bytes: ${JSON.stringify(o.body.subarray(0, 80).toString('latin1'))}` : `cut (status ${o.status}, ${o.error})`;

const only = (u: ScriptedUpstream, path: string): ScriptedRequest => {
  const list = u.requestsFor(path);
  const r = list[list.length - 1];
  if (r === undefined) throw new Error('the upstream never received ' + path);
  return r;
};

// ---------------------------------------------------------------------------------------------

t.test('1 Content-Length responses', async (t) => {
  const body = randomBytes(3000);
  up('main').on('/cl', (_req, io) => io.write(ok(body, 'X-Kind: bytes\r\n')));
  up('main').on('/cl0', (_req, io) => io.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'));

  const a = await get('/main/cl');
  t.equal(a.status, 200);
  t.equal(sha(a.body), sha(body), 'body byte-identical');
  t.equal(a.headers['content-length'], '3000');
  t.equal(a.headers['x-kind'], 'bytes');

  const b = await get('/main/cl0');
  t.equal(b.status, 200, 'Content-Length: 0 with 200');
  t.equal(b.body.length, 0);
  const c = await get('/main/cl');
  t.equal(sha(c.body), sha(body), 'a request after the empty answer still works');
});

t.test('2 chunked response with a chunk extension and trailers', async (t) => {
  const u = up('chunk');
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  u.on('/trailers', (_req, io) => io.write(
    'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nTrailer: X-Trailer\r\n\r\n' +
    '5;foo=bar\r\nhello\r\n' +
    '6;name="quoted value"\r\n world\r\n' +
    '1A\r\n' + letters + '\r\n' +
    '0\r\nX-Trailer: yes\r\nX-Other: 1\r\n\r\n'));
  u.on('/next', (_req, io) => io.write(ok('next')));

  const a = await attempt('/chunk/trailers');
  t.equal(a.status, 200, describe(a));
  t.equal(a.body.toString(), 'hello world' + letters, 'exact body');
  const b = await get('/chunk/next');
  t.equal(b.status, 200);
  t.equal(b.text, 'next', 'the following request on that connection gets its own answer');
  t.equal(only(u, '/next').conn, only(u, '/trailers').conn, 'it went over the same upstream connection');
  t.equal(u.connections.length, 1);
});

t.test('2b chunk extensions with optional whitespace (RFC 9112 7.1.1 BWS)', async (t) => {
  const u = up('main');
  u.on('/chunk-bws', (_req, io) => io.write(
    'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n' +
    '5 ; foo=bar\r\nhello\r\n' +
    '6; name="quoted value"\r\n world\r\n' +
    '0\r\n\r\n'));
  const a = await attempt('/main/chunk-bws');
  t.equal(a.status, 200, describe(a));
  t.equal(a.body.toString(), 'hello world', 'exact body');
});

t.test('3 chunked response written byte by byte', async (t) => {
  const u = up('main');
  const parts = ['first chunk;', 'x'.repeat(300), 'the end'];
  const bytes = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n' +
    parts.map((p) => p.length.toString(16) + '\r\n' + p + '\r\n').join('') + '0\r\n\r\n';
  u.on('/trickle', (_req, io) => io.trickle(bytes, 1));
  const a = await get('/main/trickle');
  t.equal(a.status, 200);
  t.equal(a.text, parts.join(''), 'exact body');
  // Same head and body, but the body declared by Content-Length and trickled in 7-byte pieces.
  u.on('/trickle-cl', (_req, io) => io.trickle(ok(parts.join('')), 7));
  const b = await get('/main/trickle-cl');
  t.equal(b.text, parts.join(''));
});

t.test('4 close-delimited response', async (t) => {
  const u = up('main');
  const tail = randomBytes(200_000);
  u.on('/eof', async (_req, io) => {
    io.write('HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\r\npart one, ');
    await sleep(20);
    io.write(tail);
    await sleep(20);
    io.end();
  });
  const a = await get('/main/eof');
  t.equal(a.status, 200);
  const expected = Buffer.concat([Buffer.from('part one, '), tail]);
  t.equal(a.body.length, expected.length, 'whole body, up to the close');
  t.equal(sha(a.body), sha(expected));
  u.on('/after-eof', (_req, io) => io.write(ok('after')));
  t.equal((await get('/main/after-eof')).text, 'after', 'the next request opens a working connection');
});

t.test('5 HEAD: a Content-Length without a body', async (t) => {
  const u = up('head');
  u.on('/h', (req, io) => {
    if (req.method === 'HEAD') io.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1234\r\n\r\n');
    else io.write(ok('x'.repeat(1234)));
  });
  u.on('/after', (_req, io) => io.write(ok('after')));
  // One client connection, so body bytes wrongly sent after the HEAD answer would break the GET.
  const client = new Client(gw.url, { pipelining: 1 });
  t.teardown(() => client.close());
  const h = await client.request({ path: '/head/h', method: 'HEAD', signal: AbortSignal.timeout(5_000) });
  t.equal(h.statusCode, 200);
  t.equal(h.headers['content-length'], '1234', 'the length of the representation is relayed');
  t.equal((await h.body.text()).length, 0, 'no body');
  t.equal(only(u, '/h').method, 'HEAD', 'forwarded as HEAD');

  const g = await client.request({ path: '/head/after', method: 'GET', signal: AbortSignal.timeout(5_000) });
  t.equal(g.statusCode, 200);
  t.equal(await g.body.text(), 'after', 'the next GET gets its own answer');
  t.equal(only(u, '/after').conn, only(u, '/h').conn, 'over the same upstream connection');
  t.equal(u.connections.length, 1);
});

t.test('6 204 and 304 answers carry no body', async (t) => {
  const u = up('nobody');
  u.on('/204', (_req, io) => io.write('HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n'));
  u.on('/304', (_req, io) => io.write('HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\n\r\n'));
  u.on('/ok', (_req, io) => io.write(ok('fine')));

  // One raw client connection: any body byte after a 204/304 would show up before the next status line.
  const c = openRawClient(gw.port);
  t.teardown(() => c.close());
  const send = (path: string, extra = ''): Promise<RawResponse> => c.exchange(`GET /nobody${path} HTTP/1.1\r\nHost: x\r\n${extra}\r\n`);

  const a = await send('/204');
  t.equal(a.status, 204);
  t.match(a.head, /\r\nx-a: 1(\r\n|$)/i);
  t.notMatch(a.head, /\r\ntransfer-encoding:/i, 'no body framing on a 204');
  const b = await send('/304', 'If-None-Match: "v1"\r\n');
  t.equal(b.status, 304);
  t.match(b.head, /\r\netag: "v1"(\r\n|$)/i);
  const d = await send('/ok');
  t.equal(d.status, 200, 'the next answer on the client connection starts clean');
  t.equal(d.body.toString(), 'fine');
  const e = await send('/204');
  t.equal(e.status, 204);
  await sleep(50);
  t.equal(c.leftover().length, 0, 'no stray bytes after the 204');
  t.equal(u.connections.length, 1, 'one upstream connection for all four');
  t.equal(u.requests().length, 4);
});

t.test('6b a 304 that declares a Content-Length still has no body', async (t) => {
  const u = up('nobody304');
  // RFC 9110 8.6: a 304 may carry the Content-Length of the representation it stands for.
  u.on('/304', (_req, io) => io.write('HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\nContent-Length: 10\r\n\r\n'));
  u.on('/ok', (_req, io) => io.write(ok('fine')));
  // Raw client: undici's request() itself waits for the body of such a 304.
  const c = openRawClient(gw.port);
  t.teardown(() => c.close());
  const b = await c.exchange('GET /nobody304/304 HTTP/1.1\r\nHost: x\r\nIf-None-Match: "v1"\r\n\r\n');
  t.equal(b.status, 304);
  const d = await c.exchange('GET /nobody304/ok HTTP/1.1\r\nHost: x\r\n\r\n');
  t.equal(d.status, 200);
  t.equal(d.body.toString(), 'fine');
  t.equal(only(u, '/ok').conn, only(u, '/304').conn, 'the next request reuses the upstream connection (no body was awaited)');
  t.equal(u.connections.length, 1);
});

const INTERIM: [string, string[]][] = [
  ['7a 100 Continue before the final answer', ['HTTP/1.1 100 Continue\r\n\r\n']],
  ['7b 103 Early Hints before the final answer', ['HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\n\r\n']],
  ['7c 100 Continue and 103 Early Hints before the final answer',
    ['HTTP/1.1 100 Continue\r\n\r\n', 'HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\n\r\n']],
];

INTERIM.forEach(([name, interim], n) => {
  t.test(name, async (t) => {
    const u = up('info');
    const path = '/info' + n;
    u.on(path, async (_req, io) => {
      for (const bytes of interim) {
        io.write(bytes);
        await sleep(5);
      }
      io.write(ok('final answer'));
    });
    u.on('/next', (_req, io) => io.write(ok('next')));

    const r = await rawRequest(gw.port, `GET /info${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
    t.match(r.text, /^HTTP\/1\.1 200 /, `the first answer the client reads is the final 200 (${JSON.stringify(r.text.split('\r\n')[0])})`);
    t.notMatch(r.text, /HTTP\/1\.1 1\d\d/, 'no interim answer is relayed');
    t.ok(r.complete, 'a complete response');
    t.equal(r.body.toString(), 'final answer', 'with the final body');

    const next = await get('/info/next');
    t.equal(next.text, 'next');
    t.equal(only(u, '/next').conn, only(u, path).conn, 'the connection stays usable');
  });
});

t.test('8 keep-alive: 20 sequential requests use one connection', async (t) => {
  const u = up('ka');
  u.on('/n', (req, io) => io.write(ok('n=' + req.target.split('=')[1])));
  for (let i = 0; i < 20; i++) {
    const r = await get('/ka/n?i=' + i);
    t.equal(r.text, 'n=' + i);
  }
  t.equal(u.requests().length, 20);
  t.equal(u.connections.length, 1, 'exactly one upstream connection');
});

t.test('9 Connection: close in an answer retires the connection', async (t) => {
  const u = up('cc');
  // The upstream announces the close but leaves the socket open: the gateway must not reuse it.
  u.on('/close', (_req, io) => io.write(ok('closing', 'Connection: close\r\n')));
  u.on('/after', (_req, io) => io.write(ok('after')));
  t.equal((await get('/cc/close')).text, 'closing');
  const a = await get('/cc/after');
  t.equal(a.status, 200);
  t.equal(a.text, 'after');
  const first = only(u, '/close').conn;
  t.equal(first.requests.length, 1, 'no further request on the announced-close connection');
  t.not(only(u, '/after').conn, first, 'the next request opened a new connection');
  t.ok(await waitFor(() => first.peerClosed, 1_000), 'the gateway closes the announced-close connection');
});

t.test('10 upstream closes idle keep-alive connections', async (t) => {
  const u = up('idle');
  u.on('/i', (req, io) => {
    io.write(ok('i=' + req.target.split('=')[1]));
    setTimeout(() => io.end(), 30);
  });
  for (let i = 0; i < 5; i++) {
    if (i > 0) await sleep(150);
    const r = await attempt('/idle/i?n=' + i);
    t.equal(r.status, 200, `request ${i} succeeds (${describe(r)})`);
    t.equal(r.body.toString(), 'i=' + i);
  }
  t.equal(u.connections.length, 5, 'one fresh connection per request');
});

t.test('11 no pipelining', async (t) => {
  for (const name of ['pipe', 'pipe2']) {
    const u = up(name);
    u.on('/slow', async (req, io) => {
      await sleep(30);
      io.write(ok('slow=' + req.target.split('=')[1]));
    });
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => get(`/${name}/slow?i=${i}`)));
    results.forEach((r, i) => t.equal(r.text, 'slow=' + i, `${name}: request ${i} got its own answer`));
    t.equal(u.requests().length, 10);
    const overlapped = u.connections.filter((c) => c.overlapped).map((c) => c.id);
    t.same(overlapped, [], `${name}: no connection got a request before its previous answer was finished`);
    if (name === 'pipe2') t.ok(u.connections.length <= 2, `pipe2 keeps to connections: 2 (opened ${u.connections.length})`);
  }
});

t.test('11b an unsolicited extra response is never handed to the next request', async (t) => {
  const u = up('extra');
  u.on('/double', (_req, io) => io.write(Buffer.concat([ok('first'), ok('extra')])));
  u.on('/double-late', async (_req, io) => {
    io.write(ok('first'));
    await sleep(20);
    io.write(ok('extra'));
  });
  u.on('/next', (req, io) => io.write(ok('next ' + req.target.split('=')[1])));

  for (const path of ['/double', '/double-late']) {
    const a = await attempt('/extra' + path);
    t.ok(a.status === 502 || (a.complete && a.body.toString() === 'first'), `${path}: first answer or a 502 (${describe(a)})`);
    await sleep(150);
    for (let i = 0; i < 3; i++) {
      const n = await attempt(`/extra/next?k=${path}-${i}`);
      t.equal(n.status, 200, `${path}: next request ${i} status (${describe(n)})`);
      t.equal(n.body.toString(), `next ${path}-${i}`, `${path}: next request ${i} gets its own answer`);
    }
  }
});

// Each malformed answer is complete by its own framing, so a lenient parser would relay it.
const MALFORMED: [string, string, string | Buffer][] = [
  ['12a garbage status line', '/bad-line', 'HELLO WORLD\r\nContent-Length: 2\r\n\r\nok'],
  ['12b status code 99', '/bad-99', 'HTTP/1.1 99 X\r\nContent-Length: 2\r\n\r\nok'],
  ['12c status code 600', '/bad-600', 'HTTP/1.1 600 X\r\nContent-Length: 2\r\n\r\nok'],
  ['12d status code 2000', '/bad-2000', 'HTTP/1.1 2000 X\r\nContent-Length: 2\r\n\r\nok'],
  ['12e header line without a colon', '/bad-colon', 'HTTP/1.1 200 OK\r\nX-No-Colon\r\nContent-Length: 2\r\n\r\nok'],
  ['12f non-numeric Content-Length', '/bad-cl', 'HTTP/1.1 200 OK\r\nContent-Length: 2x\r\n\r\nok'],
  ['12g two different Content-Length values', '/bad-two-cl', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok!'],
  ['12h Transfer-Encoding chunked and Content-Length', '/bad-te-cl',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 7\r\n\r\n2\r\nok\r\n0\r\n\r\n'],
  ['12i invalid chunk size', '/bad-chunk', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nok\r\n0\r\n\r\n'],
  ['12j response head over 64 KiB', '/bad-big-head', 'HTTP/1.1 200 OK\r\nX-Big: ' + 'a'.repeat(70_000) + '\r\nContent-Length: 2\r\n\r\nok'],
  ['12k NUL in a header value', '/bad-nul', 'HTTP/1.1 200 OK\r\nX-Bad: a\x00b\r\nContent-Length: 2\r\n\r\nok'],
  ['12l bare CR in a header value', '/bad-cr', 'HTTP/1.1 200 OK\r\nX-Bad: a\rb\r\nContent-Length: 2\r\n\r\nok'],
  // Transfer codings are hop-by-hop: the gateway does not decode gzip, so it cannot relay such a body.
  ['12m Transfer-Encoding gzip, chunked', '/bad-te-gzip-chunked',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n4\r\n\x1f\x8b\x08\x00\r\n0\r\n\r\n'],
  ['12n Transfer-Encoding gzip alone', '/bad-te-gzip', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n\x1f\x8b\x08\x00'],
];

for (const [name, path, bytes] of MALFORMED) {
  t.test(name, async (t) => {
    const u = up('main');
    // The upstream leaves its socket open: closing it is the gateway's job.
    u.on(path, (_req, io) => io.write(bytes));
    const r = await attempt('/main' + path);
    t.equal(r.status, 502, `502 (${describe(r)})`);
    t.equal(r.contentType, 'application/problem+json');
    t.match(r.body.toString(), /"status":502/, 'a problem document');
    const conn = only(u, path).conn;
    t.ok(await waitFor(() => conn.peerClosed, 1_000), 'the gateway closes that upstream connection');
  });
}

t.test('13 truncated bodies', async (t) => {
  const u = up('main');
  u.on('/trunc-small', async (_req, io) => {
    io.write('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n' + 'x'.repeat(100));
    await sleep(50);
    io.destroy();
  });
  u.on('/trunc-big', async (_req, io) => {
    io.write('HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n');
    io.write(Buffer.alloc(300_000, 'y'));
    await sleep(50);
    io.destroy();
  });
  u.on('/trunc-chunked', async (_req, io) => {
    io.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4000\r\n');
    io.write(Buffer.alloc(0x4000, 'z'));
    io.write('\r\n4000\r\n' + 'z'.repeat(100));
    await sleep(50);
    io.destroy();
  });

  const small = await attempt('/main/trunc-small');
  t.equal(small.status, 502, `a short small body is a 502 (${describe(small)})`);
  t.equal(small.contentType, 'application/problem+json');

  const big = await attempt('/main/trunc-big');
  t.ok(!big.complete || big.status === 502, `a short large body is cut or a 502, never a clean answer (${describe(big)})`);

  const chunked = await attempt('/main/trunc-chunked');
  t.ok(!chunked.complete || chunked.status === 502, `a chunked body cut mid-way is cut or a 502 (${describe(chunked)})`);
});

t.test('14 request bodies reach the upstream whole', async (t) => {
  const u = up('main');
  u.on('/hash', async (req, io) => {
    const body = await req.body;
    const framing = req.chunked ? 'chunked' : req.header('content-length').join(',');
    io.write(ok(JSON.stringify({ length: body.length, sha: sha(body), framing }), 'Content-Type: application/json\r\n'));
  });

  const big = randomBytes(2 * 1024 * 1024);
  const a = await get('/main/hash', { method: 'POST', body: big });
  t.equal(a.status, 200);
  const ja = JSON.parse(a.text) as { length: number; sha: string; framing: string };
  t.equal(ja.length, big.length, '2 MiB arrived');
  t.equal(ja.sha, sha(big), 'byte-identical');

  // A chunked upload from the client, in several writes.
  const pieces = Array.from({ length: 6 }, (_, i) => randomBytes(50_000 + i * 7_777));
  const whole = Buffer.concat(pieces);
  const reply = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = http.request(gw.url + '/main/hash', { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, timeout: 8_000 }, (res) => {
      let text = '';
      res.setEncoding('latin1');
      res.on('data', (d: string) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    void (async () => {
      for (const p of pieces) {
        req.write(p);
        await sleep(5);
      }
      req.end();
    })();
  });
  t.equal(reply.status, 200);
  const jb = JSON.parse(reply.text) as { length: number; sha: string; framing: string };
  t.equal(jb.length, whole.length, 'the chunked upload arrived whole');
  t.equal(jb.sha, sha(whole), 'byte-identical');
});

t.test('15 an early answer before the upload was read', async (t) => {
  const u = up('main');
  u.on('/early', (_req, io) => {
    io.end('HTTP/1.1 413 Content Too Large\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: 8\r\n\r\ntoo big!');
  });
  const big = Buffer.alloc(2 * 1024 * 1024, 'u');
  const head = `POST /main/early HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: ${big.length}\r\n\r\n`;
  const r = await rawRequest(gw.port, Buffer.concat([Buffer.from(head), big]), { timeoutMs: 5_000 });
  t.equal(r.status, 413, `the client gets the 413 (got ${JSON.stringify(r.text.slice(0, 120))})`);
  t.ok(r.text.endsWith('too big!'), 'with its body');
});

/** What a raw client that uploads `body` in pieces sees: the first answer, then whether the connection moved on. */
interface UploadOutcome {
  /** The first answer read (head and body), latin1. */
  answer: string;
  /** ms from the answer to the gateway closing the connection, -1 if it did not within 3 s. */
  closedAfterMs: number;
  /** The kernel took the whole body within 3 s of the answer: the gateway read it on. */
  bodyTaken: boolean;
  /** The answer to a follow-up request sent on the same connection after the body, if it was taken and the connection kept. */
  followUp: string;
}

async function uploadThenFollowUp(path: string, body: Buffer, answered: RegExp, followUp: string): Promise<UploadOutcome> {
  const s = net.connect(gw.port, '127.0.0.1');
  s.on('error', () => {});
  let read = '';
  let closedAt = -1;
  s.on('data', (d: Buffer) => { read += d.toString('latin1'); });
  s.on('close', () => { closedAt = Date.now(); });
  s.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: ${body.length}\r\n\r\n`);
  // Pieces of 64 KiB, each once the kernel took the previous one.
  const sent = (async () => {
    for (let i = 0; i < body.length && closedAt < 0; i += 65_536) {
      if (!s.write(body.subarray(i, i + 65_536))) {
        await new Promise<void>((resolve) => {
          const done = (): void => { s.off('drain', done); s.off('close', done); resolve(); };
          s.once('drain', done).once('close', done);
        });
      }
      await sleep(1);
    }
    return closedAt < 0;
  })();
  await waitFor(() => answered.test(read), 5_000);
  const answer = read;
  const answeredAt = Date.now();
  const whole = await Promise.race([sent, sleep(3_000).then(() => false)]);
  let follow = '';
  if (whole && closedAt < 0) {
    read = '';
    s.write(followUp);
    await waitFor(() => closedAt >= 0 || /\r\n\r\n/.test(read), Math.max(0, answeredAt + 3_000 - Date.now()));
    follow = read;
  }
  if (!whole) await waitFor(() => closedAt >= 0, Math.max(0, answeredAt + 3_000 - Date.now()));
  s.destroy();
  return { answer, closedAfterMs: closedAt < 0 ? -1 : Math.max(0, closedAt - answeredAt), bodyTaken: whole, followUp: follow };
}

/**
 * The connection moved on after the early answer: closed as announced; or announced and the rest
 * of the body read on (the client closes); or kept, and serving the next request.
 */
function assertNoStall(t: Test, o: UploadOutcome, follow: RegExp): void {
  if (/\r\nconnection: close\r\n/i.test(o.answer)) {
    t.ok(o.closedAfterMs >= 0 || o.bodyTaken, `announced Connection: close, then closed the connection or read the rest of the body (closed ${o.closedAfterMs} ms after, body taken: ${o.bodyTaken})`);
  } else {
    t.match(o.followUp, follow, `kept alive: the rest of the body was taken and the next request answered (${JSON.stringify(o.followUp.slice(0, 40))}, closed ${o.closedAfterMs})`);
  }
}

t.test('15b an early answer while the client is still uploading: the connection does not stall', async (t) => {
  const u = up('early');
  u.on('/upload', async (_req, io) => {
    // Reads nothing more: the upload backs up through the kernel buffers into the gateway, which
    // pauses the client (12 MB is more than loopback buffers hold with Linux's default limits).
    io.socket.pause();
    await sleep(300);
    io.write('HTTP/1.1 413 Content Too Large\r\nContent-Type: text/plain\r\nContent-Length: 8\r\n\r\ntoo big!');
  });
  u.on('/after', (_req, io) => io.write(ok('after')));
  const o = await uploadThenFollowUp('/early/upload', Buffer.alloc(12_000_000, 'e'), /\r\n\r\n[\s\S]*too big!$/,
    'GET /main/after HTTP/1.1\r\nHost: x\r\n\r\n');
  t.match(o.answer, /^HTTP\/1\.1 413 /, `the client gets the early 413 (${JSON.stringify(o.answer.slice(0, 60))})`);
  t.ok(o.answer.endsWith('too big!'), 'with its body');
  assertNoStall(t, o, /^HTTP\/1\.1 404 /);
});

t.test('15d an early streamed answer while the client is still uploading: the connection does not stall', async (t) => {
  const u = up('early');
  u.on('/stream', async (_req, io) => {
    io.socket.pause(); // as in 15b: the gateway ends up pausing the client
    await sleep(300);
    io.write('HTTP/1.1 413 Content Too Large\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n4\r\ntoo \r\n');
    await sleep(50);
    io.write('4\r\nbig!\r\n0\r\n\r\n');
  });
  const o = await uploadThenFollowUp('/early/stream', Buffer.alloc(12_000_000, 's'), /\r\n0\r\n\r\n$/,
    'GET /main/after HTTP/1.1\r\nHost: x\r\n\r\n');
  t.match(o.answer, /^HTTP\/1\.1 413 [\s\S]*\r\ntransfer-encoding: chunked\r\n/i, `the client gets the early 413, streamed (${JSON.stringify(o.answer.slice(0, 60))})`);
  t.match(o.answer, /\r\n\r\n4\r\ntoo \r\n4\r\nbig!\r\n0\r\n\r\n$/, 'with its body, well-formed');
  assertNoStall(t, o, /^HTTP\/1\.1 404 /);
});

t.test('15c an upload waiting in the queue times out: the 504 does not stall the connection', async (t) => {
  const u = up('queued');
  // Holds the only connection for 1.5 s, a byte every 250 ms (each resets its 1 s response timeout).
  u.on('/hold', async (_req, io) => {
    io.write('HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n');
    for (const c of 'held!\n') {
      await sleep(250);
      io.write(c);
    }
  });
  const hold = attempt('/queued/hold');
  await waitFor(() => u.requestsFor('/hold').length === 1, 2_000);
  // The only connection is busy: the upload waits unread (the gateway pauses the client) and times out after 1 s.
  const o = await uploadThenFollowUp('/queued/upload', Buffer.alloc(4_000_000, 'q'), /\r\n\r\n\{[\s\S]*\}$/,
    'GET /main/after HTTP/1.1\r\nHost: x\r\n\r\n');
  t.match(o.answer, /^HTTP\/1\.1 504 /, `the client gets a 504 (${JSON.stringify(o.answer.slice(0, 60))})`);
  assertNoStall(t, o, /^HTTP\/1\.1 404 /);
  t.equal((await hold).status, 200);
  t.equal(u.requestsFor('/upload').length, 0, 'the upload was never sent upstream');
});

t.test('16 response headers', async (t) => {
  const u = up('hdr');
  u.on('/h', (_req, io) => io.write(
    'HTTP/1.1 200 OK\r\nSet-Cookie: a=1; Path=/\r\nSet-Cookie: b=2; HttpOnly\r\nX-MiXeD-CaSe: Yes\r\n' +
    'CONTENT-TYPE: text/plain\r\nX-Latin: caf\xe9 au lait\r\nCONTENT-LENGTH: 2\r\n\r\nok'));
  u.on('/next', (_req, io) => io.write(ok('next')));

  const a = await get('/hdr/h');
  t.equal(a.text, 'ok');
  t.same(a.headers['set-cookie'], ['a=1; Path=/', 'b=2; HttpOnly'], 'two Set-Cookie headers, kept apart');
  t.equal(a.headers['x-mixed-case'], 'Yes');
  t.equal(a.headers['content-type'], 'text/plain');
  t.equal((await get('/hdr/next')).text, 'next');
  t.equal(only(u, '/next').conn, only(u, '/h').conn, 'an upper-case CONTENT-LENGTH frames the body (connection reused)');

  const r = await rawRequest(gw.port, 'GET /hdr/h HTTP/1.1\r\nHost: x\r\n\r\n');
  t.equal(r.status, 200);
  const cookieLines = r.head.split('\r\n').filter((l) => /^set-cookie:/i.test(l)).map((l) => l.replace(/^set-cookie:\s*/i, ''));
  t.same(cookieLines, ['a=1; Path=/', 'b=2; HttpOnly'], 'two separate Set-Cookie lines on the wire');
  const latin = r.head.split('\r\n').find((l) => /^x-latin:/i.test(l));
  t.equal(latin?.replace(/^x-latin:\s*/i, ''), 'caf\xe9 au lait', 'the obs-text byte 0xE9 passes unchanged');
  t.ok(r.bytes.includes(Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20])), 'as the single byte 0xE9');
  const n = await get('/hdr/next');
  t.equal(n.text, 'next');
});

t.test('17 large responses', async (t) => {
  const u = up('main');
  const mib = randomBytes(1024 * 1024);
  u.on('/big-chunked', async (_req, io) => {
    io.write('HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n');
    let pos = 0;
    let size = 1;
    while (pos < mib.length) {
      const piece = mib.subarray(pos, pos + size);
      io.write(Buffer.concat([Buffer.from(piece.length.toString(16) + '\r\n'), piece, Buffer.from('\r\n')]));
      pos += piece.length;
      size = size >= 65_536 ? 777 : size * 3 + 1;
      if (pos % 5 === 0) await sleep(1);
    }
    io.write('0\r\n\r\n');
  });
  const quarter = randomBytes(256 * 1024);
  u.on('/big-cl', (_req, io) => io.write(ok(quarter)));

  const a = await get('/main/big-chunked');
  t.equal(a.body.length, mib.length);
  t.equal(sha(a.body), sha(mib), '1 MiB chunked, byte-identical');
  const b = await get('/main/big-cl');
  t.equal(b.body.length, quarter.length);
  t.equal(sha(b.body), sha(quarter), '256 KiB with Content-Length, byte-identical');
});

t.test('18 timeouts', async (t) => {
  const u = up('main');
  u.on('/never', () => {});
  u.on('/stall', (_req, io) => {
    io.write('HTTP/1.1 200 OK\r\nContent-Length: 500000\r\n\r\n');
    io.write(Buffer.alloc(1000, 's'));
  });

  const n = await attempt('/main/never');
  t.equal(n.status, 504, `no answer is a 504 (${describe(n)})`);
  t.equal(n.contentType, 'application/problem+json');
  t.ok(n.ms >= 900 && n.ms < 3_000, `after about the 1 s response timeout (${n.ms} ms)`);
  const conn = only(u, '/never').conn;
  t.ok(await waitFor(() => conn.peerClosed, 1_000), 'the gateway closes the timed-out upstream connection');

  const s = await attempt('/main/stall');
  t.ok(!s.complete || s.status === 502 || s.status === 504, `a stalled body is cut (${describe(s)})`);
  t.ok(s.ms < 5_000, `within a few seconds of the 1 s timeout.idle (${s.ms} ms)`);
});

t.test('18b a slow upload: the 1 s response timeout starts once the request is sent', async (t) => {
  const u = up('main');
  u.on('/slow-upload', async (req, io) => {
    const body = await req.body;
    io.write(ok(`got ${body.length}`));
  });
  const PIECES = 16;
  const piece = Buffer.alloc(512, 'p');
  // 8 KiB over about 3.2 s, well inside limits.requestTimeout (30 s) but three response timeouts long.
  const reply = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = http.request(gw.url + '/main/slow-upload', {
      method: 'POST', headers: { 'content-length': String(PIECES * piece.length) }, timeout: 10_000,
    }, (res) => {
      let text = '';
      res.setEncoding('latin1');
      res.on('data', (d: string) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    void (async () => {
      for (let i = 0; i < PIECES && !req.destroyed; i++) {
        req.write(piece);
        await sleep(200);
      }
      req.end();
    })();
  });
  t.equal(reply.status, 200, `the upload was not cut by the response timeout (${reply.text.slice(0, 120)})`);
  t.equal(reply.text, `got ${PIECES * piece.length}`, 'the whole body reached the upstream');
});

t.test('19 request line and headers sent upstream', async (t) => {
  const u = up('req');
  u.on('/path/sub', (_req, io) => io.write(ok('seen')));
  u.on('/second', (_req, io) => io.write(ok('second')));

  const r = await rawRequest(gw.port,
    'GET /req/path/sub?a=1&b=%20x HTTP/1.1\r\nHost: front.example\r\nConnection: close, X-Hop\r\n' +
    'Keep-Alive: timeout=5\r\nX-Hop: secret\r\nX-Keep: yes\r\n\r\n');
  t.equal(r.status, 200);
  t.ok(r.text.endsWith('seen'));

  const req = only(u, '/path/sub');
  t.ok(req.head.startsWith('GET /path/sub?a=1&b=%20x HTTP/1.1\r\n'), `request line (${JSON.stringify(req.head.split('\r\n')[0])})`);
  t.same(req.header('host'), [`127.0.0.1:${u.port}`], 'one Host header, naming the target');
  t.same(req.header('keep-alive'), [], 'Keep-Alive is not forwarded');
  t.notOk(req.header('connection').some((v) => /close|x-hop/i.test(v)), `the client's Connection is not forwarded (${req.header('connection').join(', ')})`);
  t.same(req.header('x-hop'), [], 'a field the client named in Connection is not forwarded');
  t.same(req.header('x-keep'), ['yes'], 'other fields are forwarded');
  t.same(req.header('content-length').filter((v) => v !== '0'), [], 'no body framing on a GET');
  t.same(req.header('transfer-encoding'), []);

  const second = await get('/req/second', { method: 'POST', body: 'tiny' });
  t.equal(second.text, 'second');
  const req2 = only(u, '/second');
  t.equal(req2.conn, req.conn, 'the connection was kept despite the client\'s Connection: close');
  t.equal(req.conn.junk, null, 'everything received parsed as HTTP/1.1 requests');
  t.equal(req.end - req.start, req.head.length, 'the GET message is its head alone');
  t.equal(req2.start, req.end, 'the next message starts right after it');
  t.equal((await req2.body).toString(), 'tiny');
  t.equal(req.conn.raw().length, req2.end, 'nothing else was sent on the connection');
  t.equal(req.conn.requests.length, 2, 'one request per message');
});
