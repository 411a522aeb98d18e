#!/usr/bin/env node
// The same-stack floor: uWebSockets.js in front of an undici Pool through dispatch(), streaming
// both ways with backpressure, every write corked. Tollgate's cost is what it adds on top of this.
// usage: node native-bench/reference-proxy.mjs --upstream http://127.0.0.1:PORT [--port N] [--connections 64]
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';

// The root's copies, the ones Tollgate runs on (native-bench/node_modules holds another undici),
// and the uWS build Tollgate's loader picks (TOLLGATE_UWS forces one).
const rootRequire = createRequire(new URL('../package.json', import.meta.url));
const { loadUws } = await import('../dist/http/load-uws.js');
const uWS = loadUws().uws;
const { Pool } = rootRequire('undici');

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host']);
const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, upstream: { type: 'string' }, connections: { type: 'string', default: '64' } } });
if (!values.upstream) throw new Error('--upstream URL is required');
const pool = new Pool(values.upstream, { connections: Number(values.connections) });

/** An undici dispatch handler that relays one upstream response to one uWS response. */
class Relay {
  aborted = false; headWritten = false; done = false; writableHooked = false;
  abortUpstream = null; resume = null; pending = null; status = ''; headers = []; length = -1;
  constructor(res) { this.res = res; }
  onConnect(abort) { if (this.aborted) abort(new Error('client gone')); else this.abortUpstream = abort; }
  onHeaders(status, raw, resume, statusText) {
    this.status = `${status} ${statusText}`;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i].toString('latin1').toLowerCase();
      // uWS writes its own content-length from tryEnd's total size.
      if (name === 'content-length') this.length = Number(raw[i + 1].toString('latin1'));
      else if (!HOP_BY_HOP.has(name)) this.headers.push(name, raw[i + 1].toString('latin1'));
    }
    this.resume = resume;
    return true;
  }
  writeHead() {
    if (this.headWritten) return;
    this.headWritten = true;
    this.res.writeStatus(this.status);
    for (let i = 0; i < this.headers.length; i += 2) this.res.writeHeader(this.headers[i], this.headers[i + 1]);
  }
  onData(chunk) {
    if (this.aborted) return true;
    let ok = true;
    // One cork: status, headers and a body that fits leave in one send().
    this.res.cork(() => {
      this.writeHead();
      if (this.length < 0) { ok = this.res.write(chunk); return; }
      const base = this.res.getWriteOffset();
      const [sent, done] = this.res.tryEnd(chunk, this.length);
      this.done = done;
      if (!sent && !done) { this.pending = { chunk, base }; ok = false; }
    });
    if (!ok) this.hookWritable();
    return ok;
  }
  hookWritable() {
    if (this.writableHooked) return;
    this.writableHooked = true;
    this.res.onWritable((offset) => {
      if (this.aborted || this.done) return true;
      const p = this.pending;
      if (p !== null) {
        // tryEnd keeps nothing: resend what the socket did not take, from where it stopped.
        const [sent, done] = this.res.tryEnd(p.chunk.subarray(offset - p.base), this.length);
        this.done = done;
        if (!sent && !done) return false;
        this.pending = null;
      }
      this.resume?.();
      return true;
    });
  }
  onComplete() {
    if (this.aborted || this.done) return;
    this.res.cork(() => {
      this.writeHead();
      if (this.length <= 0) this.res.end();
      else this.res.close(); // the upstream ended short of its content-length: cut, do not pad
    });
  }
  onError() {
    if (this.aborted || this.done) return;
    if (this.headWritten) this.res.close();
    else this.res.cork(() => this.res.writeStatus('502 Bad Gateway').end('bad gateway'));
  }
}

function requestBody(res, relay) {
  let paused = false; // resume() on a connection that is not paused stalls it in this uWS build
  const body = new Readable({ read() { if (paused && !relay.aborted) { paused = false; res.resume(); } } });
  res.onData((ab, last) => {
    // uWS reuses the memory behind ab once this returns: copy.
    if (!body.push(Buffer.from(new Uint8Array(ab))) && !last && !paused) { paused = true; res.pause(); }
    if (last) body.push(null);
  });
  return body;
}

const app = uWS.App().any('/*', (res, req) => {
  const method = req.getCaseSensitiveMethod();
  const query = req.getQuery();
  const path = query ? `${req.getUrl()}?${query}` : req.getUrl();
  const headers = [];
  let hasBody = false;
  req.forEach((name, value) => {
    if ((name === 'content-length' && value !== '0') || name === 'transfer-encoding') hasBody = true;
    if (!HOP_BY_HOP.has(name)) headers.push(name, value);
  });
  const relay = new Relay(res);
  const body = hasBody ? requestBody(res, relay) : null;
  res.onAborted(() => { relay.aborted = true; body?.destroy(); relay.abortUpstream?.(new Error('client gone')); });
  pool.dispatch({ method, path, headers, body }, relay);
});

app.listen('127.0.0.1', Number(values.port), (listenSocket) => {
  if (!listenSocket) { process.stderr.write(`reference-proxy: cannot listen on port ${values.port}\n`); process.exit(1); }
  process.stdout.write(`${JSON.stringify({ msg: 'listening', port: uWS.us_socket_local_port(listenSocket) })}\n`);
  for (const signal of ['SIGTERM', 'SIGINT']) process.once(signal, () => { uWS.us_listen_socket_close(listenSocket); app.close?.(); pool.destroy().finally(() => process.exit(0)); });
});
