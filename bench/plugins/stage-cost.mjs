#!/usr/bin/env node
// `node bench/plugins/stage-cost.mjs`: what the plugin stage itself costs per request, in
// process: a route's chain with one plugin whose onRequest does nothing, against the same chain
// without it (the `next` stage counts). Compare the ns per request with a proxied request's time
// (bench scenario small: tens of microseconds) to read the stage's share; the load scenario
// plugin-noop measures the same end to end, where machine noise is larger than the stage.
import { performance } from 'node:perf_hooks';
import { pluginStage } from '../../dist/stages/plugins/index.js';

const CALLS = 2_000_000;
const ROUNDS = 5;
const plugin = { name: 'noop', hooks: { onRequest() {} }, timeout: 1000, maxBodySize: 1 << 20 };
const deps = { plugins: new Map([['noop', plugin]]), config: { limits: { maxBodySize: 1 << 20, requestTimeout: 30_000 } }, log: console };
let answered = 0;
const next = () => { answered++; };
const withPlugin = pluginStage({ id: 'small-plugin', plugins: ['noop'], match: { path: '/small' } }, deps, next);
const headers = ['host', 'gw.example', 'user-agent', 'bench', 'accept', '*/*'];
const ctx = {
  method: 'GET', path: '/small', query: '', hasQuery: false, headers, params: [], requestId: 'req', route: { id: 'small-plugin' },
  exchange: { hasBody: false, finished: false }, consumer: null, remoteAddress: '127.0.0.1', pluginFields: null,
};

function perCall(handler) {
  const start = performance.now();
  for (let i = 0; i < CALLS; i++) handler(ctx);
  return ((performance.now() - start) * 1e6) / CALLS;
}

for (let round = 1; round <= ROUNDS; round++) {
  const plain = perCall(next);
  const plugged = perCall(withPlugin);
  console.log(`round ${round}: without ${plain.toFixed(1)} ns/request, with one no-op plugin ${plugged.toFixed(1)} ns/request (+${(plugged - plain).toFixed(1)} ns)`);
}
if (answered !== CALLS * ROUNDS * 2) throw new Error(`the chain answered ${answered} times, not ${CALLS * ROUNDS * 2}`);
