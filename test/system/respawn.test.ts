// A worker thread that dies is replaced (SPEC §6) while the other worker keeps serving; the
// process does not abort. The crash is injected with x-tollgate-fault: crash-worker.
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import t from 'tap';
import { failuresOf, startLoad } from './fixtures/load-loop.js';
import { configHead, fetchOnNewConnection, fetchText, launch, logsSince, poll, startUpstreams, waitForLogSince, within } from './fixtures/system-fixture.js';

const REPLACING = 'worker exited unexpectedly; replacing it';

t.test('a crashed worker is replaced and requests on new connections keep succeeding', async (t) => {
  const demo = await startUpstreams(t);
  const yaml = `${configHead(demo)}log: { access: false }
routes:
  - id: echo
    match: { path: /echo, methods: [GET] }
    upstream: users
`;
  const gw = await launch(t, yaml, { workers: 2, env: { TOLLGATE_FAULT_INJECTION: '1' } });
  const isReady = async (): Promise<boolean> => (await fetchText(`${gw.adminUrl}/ready`)).status === 200;
  t.ok(await isReady(), 'ready before the crash');

  // Every request on a connection of its own, so a failure can be placed before or after the crash;
  // paced, so that the load does not starve the replacement worker's start of CPU.
  const load = startLoad({ url: gw.url + '/echo', concurrency: 3, maxRequests: 3_000, maxMs: 8_000, newConnectionEach: true, pauseMs: 15 });
  await poll(() => load.finished() >= 30, 3_000, 5);

  const from = gw.logs.length;
  const crash = await fetchOnNewConnection(gw.url + '/echo', { headers: { 'x-tollgate-fault': 'crash-worker' } });
  t.equal(crash.status, 202, 'the fault request is answered before the crash');
  const replacing = await waitForLogSince(gw, from, (l) => l.msg === REPLACING, 5_000);
  // Connections opened from now on cannot have been accepted by the dead worker.
  const crashedAt = performance.now();
  t.equal(replacing.level, 50, 'logged as an error');
  t.type(replacing.worker, 'number', 'names the worker');

  t.equal(replacing.restartInMs, 0, 'a first crash is replaced at once, without a back-off');

  const readyAgain = await poll(isReady, 3_000, 10);
  const readyMs = performance.now() - crashedAt;
  // The target is 1 s (about 0.5 s measured on a quiet 2-core machine); with another test file
  // and this load sharing the 2 cores the new thread's start has measured up to 2 s.
  t.ok(readyAgain, `/ready is 200 again ${Math.round(readyMs)} ms after the crash (bound 3 s)`);

  const afterReady = load.finished();
  await poll(() => load.finished() >= afterReady + 60, 3_000, 5);
  load.stop();
  const outcomes = await load.done;
  const fresh = outcomes.filter((o) => o.sentAt >= crashedAt);
  t.ok(fresh.length >= 60, `${fresh.length} requests sent on new connections after the crash`);
  t.same(failuresOf(fresh), [], 'zero failures on connections opened after the crash');
  const earlier = failuresOf(outcomes.filter((o) => o.sentAt < crashedAt));
  t.ok(earlier.length <= 3, `at most the in-flight connections of the crashed worker failed (${earlier.length}: ${earlier.join('; ')})`);

  const ready = (await fetchText(`${gw.adminUrl}/ready`)).json();
  t.equal(ready.workers.length, 2);
  t.ok(ready.workers.every((w: { state: string }) => w.state === 'serving'), 'both workers serve again');
  t.equal(gw.child.exitCode, null, 'the process did not abort');
  t.equal(gw.child.signalCode, null);
  t.equal(await gw.stop('SIGTERM'), 0, 'and exits 0 on SIGTERM');
});

/** Generation `n`: /gen answers { gen: n } from the gateway itself. */
function genConfig(n: number): string {
  return `listen: { host: 127.0.0.1, port: 0 }
admin: { host: 127.0.0.1, port: 0 }
log: { access: false }
routes:
  - id: gen
    match: { path: /gen, methods: [GET] }
    respond: { status: 200, json: { gen: ${n} } }
`;
}

// A race: a reload whose broadcast reaches a worker that is crashing must neither leave the
// replacement on the old config nor wait for a reply that never comes. The timing is not under
// the test's control, so it plays the scenario up to three times.
t.test('a SIGHUP as a worker crashes still brings every worker, the replacement included, to the new config', async (t) => {
  const gw = await launch(t, genConfig(0), { workers: 2, env: { TOLLGATE_FAULT_INJECTION: '1' } });
  const servedGenerations = async (): Promise<Set<number>> => {
    const seen = new Set<number>();
    for (let i = 0; i < 8; i++) seen.add((await fetchOnNewConnection(gw.url + '/gen')).json().gen);
    return seen;
  };

  for (let n = 1; n <= 3; n++) {
    writeFileSync(gw.configFile, genConfig(n));
    const from = gw.logs.length;
    const crash = await fetchOnNewConnection(gw.url + '/gen', { headers: { 'x-tollgate-fault': 'crash-worker' } });
    t.equal(crash.status, 202, `round ${n}: the fault request is answered`);
    gw.child.kill('SIGHUP'); // while the crashed thread is still being torn down
    await waitForLogSince(gw, from, (l) => l.msg === REPLACING, 5_000);

    let seen = new Set<number>();
    const settled = await poll(async () => {
      seen = await servedGenerations();
      return seen.size === 1 && seen.has(n) && (await fetchText(`${gw.adminUrl}/ready`)).status === 200;
    }, 3_000, 50);
    const workers = JSON.stringify((await fetchText(`${gw.adminUrl}/ready`)).json().workers);
    t.ok(settled, `round ${n}: within 3 s every worker serves config ${n} (served: ${[...seen].join(',')}; workers: ${workers})`);
    t.equal(logsSince(gw, from, (l) => l.msg === 'config reloaded').length, 1, `round ${n}: the reload is applied, not rolled back`);
    t.same(logsSince(gw, from, (l) => String(l.msg).startsWith('config reload failed')), [], `round ${n}: no reload failure is logged`);
    if (!settled) break;
  }

  const stoppingAt = performance.now();
  gw.child.kill('SIGTERM');
  const code = await within(gw.exited, 4_000, 'still running');
  t.equal(code, 0, `exits 0 on SIGTERM within 4 s, not held by a pending reload (${Math.round(performance.now() - stoppingAt)} ms)`);
});
