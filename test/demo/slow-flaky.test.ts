import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import t from 'tap';
import { call, startDemo } from './fixtures/demo-fixture.js';

t.test('slow: /slow?ms=N waits N ms', async (t) => {
  const demo = await startDemo(t);
  const started = Date.now();
  const res = await call(demo, 'slow', '/slow?ms=150');
  t.equal(res.status, 200);
  t.same(res.json(), { waited: 150 });
  t.ok(Date.now() - started >= 140, 'the answer came after the wait');
  t.equal((await call(demo, 'slow', '/slow?ms=60001')).status, 400);
  t.equal((await call(demo, 'slow', '/slow?ms=abc')).status, 400);
});

t.test('slow: a client that leaves does not break the server', async (t) => {
  const demo = await startDemo(t);
  const controller = new AbortController();
  const pending = call(demo, 'slow', '/slow?ms=300', { signal: controller.signal });
  await sleep(50);
  controller.abort();
  await t.rejects(pending);
  await sleep(400); // past the original timer: an answer on the dead response would crash the process
  t.equal((await call(demo, 'slow', '/slow?ms=0')).json().waited, 0);
});

t.test('slow: /drip streams chunks over time', async (t) => {
  const demo = await startDemo(t);
  const res = await request(`http://127.0.0.1:${demo.ports.slow}/drip?chunks=4&interval=80&size=1000`);
  t.equal(res.statusCode, 200);
  t.equal(res.headers['transfer-encoding'], 'chunked');
  const arrivals: number[] = [];
  let total = 0;
  const started = Date.now();
  for await (const chunk of res.body) {
    total += (chunk as Buffer).length;
    arrivals.push(Date.now() - started);
  }
  t.equal(total, 4000);
  t.ok(arrivals[0]! < 60, `first bytes arrive before the first interval (${arrivals[0]} ms)`);
  t.ok(arrivals.at(-1)! >= 200, `the last bytes arrive after three intervals (${arrivals.at(-1)} ms)`);
  t.equal((await call(demo, 'slow', '/drip?chunks=0')).text, '');
  t.equal((await call(demo, 'slow', '/drip?size=0')).status, 400);
});

t.test('slow: a slow reader is served completely (drip waits for drain)', async (t) => {
  const demo = await startDemo(t);
  const res = await request(`http://127.0.0.1:${demo.ports.slow}/drip?chunks=64&interval=0&size=1048576`);
  let total = 0;
  for await (const chunk of res.body) {
    total += (chunk as Buffer).length;
    if (total < 8 * 1024 * 1024) await sleep(1);
  }
  t.equal(total, 64 * 1024 * 1024);
});

t.test('flaky: /fail, /ok and /reset', async (t) => {
  const demo = await startDemo(t);
  const fail = await call(demo, 'flaky', '/fail');
  t.equal(fail.status, 500);
  t.equal(fail.json().status, 500);
  t.equal((await call(demo, 'flaky', '/ok')).status, 200);
  await t.rejects(call(demo, 'flaky', '/reset'), 'the connection is dropped without an answer');
  t.equal((await call(demo, 'flaky', '/ok')).status, 200, 'the server keeps serving after a reset');
});

t.test('flaky: POST /toggle switches failing mode on and off', async (t) => {
  const demo = await startDemo(t);
  t.same((await call(demo, 'flaky', '/toggle', { method: 'POST' })).json(), { failing: true });
  for (const path of ['/health', '/ok', '/small', '/echo']) {
    t.equal((await call(demo, 'flaky', path)).status, 503, `${path} is 503 while failing`);
  }
  t.same((await call(demo, 'flaky', '/toggle', { method: 'POST' })).json(), { failing: false });
  t.equal((await call(demo, 'flaky', '/health')).status, 200);
  t.equal((await call(demo, 'flaky', '/ok')).status, 200);
});

t.test('flaky: failing mode belongs to one instance', async (t) => {
  const first = await startDemo(t);
  const second = await startDemo(t);
  await call(first, 'flaky', '/toggle', { method: 'POST' });
  t.equal((await call(first, 'flaky', '/ok')).status, 503);
  t.equal((await call(second, 'flaky', '/ok')).status, 200);
});
