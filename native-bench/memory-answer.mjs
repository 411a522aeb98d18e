#!/usr/bin/env node
// The ceiling of a cache hit on this stack: uWebSockets.js answering every GET from memory, with
// no routing, no cache lookup, no request id, nothing but one corked status + headers + end. The
// answers are the upstream's own (fetched once at start), so the bytes on the wire match what a
// proxy or a cache gives. Tollgate's hit costs what it adds on top of this.
// usage: node native-bench/memory-answer.mjs --upstream http://127.0.0.1:PORT [--port N]
import { parseArgs } from 'node:util';

const { loadUws } = await import('../dist/http/load-uws.js');
const uWS = loadUws().uws;

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, upstream: { type: 'string' } } });
if (!values.upstream) throw new Error('--upstream URL is required');

const SKIP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'date', 'server']);

/** The upstream's answer to `path`: status line, header pairs and body. */
async function fetchAnswer(path) {
  const res = await fetch(values.upstream + path);
  const headers = [];
  res.headers.forEach((value, name) => { if (!SKIP.has(name)) headers.push(name, value); });
  return { status: `${res.status} ${res.statusText}`, headers, body: Buffer.from(await res.arrayBuffer()) };
}

const small = await fetchAnswer('/small');
const large = await fetchAnswer('/64k');

function answer(res, a) {
  res.cork(() => {
    res.writeStatus(a.status);
    for (let i = 0; i < a.headers.length; i += 2) res.writeHeader(a.headers[i], a.headers[i + 1]);
    res.end(a.body);
  });
}

const app = uWS.App();
app.get('/small', (res) => answer(res, small));
app.get('/cached/small', (res) => answer(res, small));
app.get('/64k', (res) => answer(res, large));
app.get('/cached/64k', (res) => answer(res, large));
app.any('/*', (res) => res.cork(() => res.writeStatus('404 Not Found').end('not here')));
app.listen('127.0.0.1', Number(values.port), (socket) => {
  if (!socket) {
    process.stderr.write(`memory-answer: cannot listen on port ${values.port}\n`);
    process.exit(1);
  }
});
const stop = () => { app.close?.(); process.exit(0); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
