// Under a bounded closed-loop load on 4 workers, one worker is killed (x-tollgate-fault:
// crash-worker): requests on the other workers see no error, the only failures are the killed
// worker's in-flight requests, and the replacement serves within a second (SPEC §6).
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { configHead, fetchOnNewConnection, fetchText, launch, poll, startUpstreams, waitForLogSince } from './fixtures/system-fixture.js';
import { startWorkerLoad, workerOf, type WorkerOutcome } from './fixtures/worker-load.js';

const WORKERS = 4;
const USERS = 16;

function describe(o: WorkerOutcome): string {
  return `user ${o.user} worker ${o.worker}: ${o.error !== '' ? o.error : `status ${o.status}`}`;
}

t.test('a worker killed under load: only its in-flight requests fail, and its replacement serves within a second', async (t) => {
  const demo = await startUpstreams(t);
  const yaml = `${configHead(demo)}log: { access: false }
routes:
  - id: echo
    match: { path: /echo, methods: [GET] }
    upstream: users
`;
  const gw = await launch(t, yaml, { workers: WORKERS, env: { TOLLGATE_FAULT_INJECTION: '1' } });
  const load = startWorkerLoad({ origin: gw.url, path: '/echo', users: USERS, maxRequests: 40_000, maxMs: 20_000, pauseMs: 5 });
  t.teardown(() => load.stop());
  // Steady state: the spare thread has loaded (right after start it is still loading, and a
  // worker that dies then waits for it).
  t.ok(await poll(async () => (await fetchText(`${gw.adminUrl}/ready`)).json().spare === 'ready', 10_000, 50), '/ready reports the spare thread ready');
  // Every user has had answers, so each knows the worker of its connection.
  t.ok(await poll(() => load.connectionWorkers().every((w) => w !== null), 5_000), 'every user has an answered connection');
  await poll(() => load.finished() >= 300, 5_000);

  const from = gw.logs.length;
  const crash = await fetchOnNewConnection(`${gw.url}/echo`, { headers: { 'x-tollgate-fault': 'crash-worker' } });
  const crashedAt = performance.now();
  t.equal(crash.status, 202, 'the fault request is answered before the crash');
  const killed = workerOf(crash.headers);
  t.type(killed, 'number', `the fault answer names the worker that dies (${killed})`);
  const onKilled = load.connectionWorkers().filter((w) => w === killed).length;

  // New connections until one is answered by the replacement (SO_REUSEPORT spreads them over
  // the listening workers, so this takes a few tries once it listens).
  let servedAfterMs = -1;
  const deadline = crashedAt + 5_000;
  while (performance.now() < deadline) {
    const reply = await fetchOnNewConnection(`${gw.url}/echo`).catch(() => null);
    if (reply !== null && reply.status === 200 && workerOf(reply.headers) === killed) {
      servedAfterMs = performance.now() - crashedAt;
      break;
    }
    await sleep(10);
  }
  const replaced = await waitForLogSince(gw, from, (l) => String(l.msg).startsWith('worker replaced'), 5_000);
  t.equal(replaced.worker, killed, 'the supervisor logs the replacement of that worker');
  t.equal(replaced.spare, true, 'the spare thread, modules already loaded, took the slot');
  t.ok(servedAfterMs >= 0 && servedAfterMs < 1_000, `a new connection is answered by the replacement worker ${killed} ${Math.round(servedAfterMs)} ms after the crash (bound 1 s; the supervisor measured ${replaced.downMs} ms from the thread exit to its replacement listening)`);

  // The load goes on past the replacement, then ends.
  const afterCrash = load.finished();
  await poll(() => load.finished() >= afterCrash + 500, 10_000);
  load.stop();
  const outcomes = await load.done;

  const failures = outcomes.filter((o) => o.status !== 200);
  const elsewhere = failures.filter((o) => o.worker !== killed);
  t.same(elsewhere.map(describe), [], `no failure on a connection of another worker (${outcomes.length} requests)`);
  t.ok(failures.length <= onKilled, `failures (${failures.length}) are at most the requests in flight on the killed worker's ${onKilled} connections: ${failures.map(describe).join('; ')}`);
  t.ok(failures.every((o) => o.sentAt < crashedAt + 1_000), 'every failure was sent around the crash, none later');
  const perUser = new Map<number, number>();
  for (const f of failures) perUser.set(f.user, (perUser.get(f.user) ?? 0) + 1);
  t.ok([...perUser.values()].every((n) => n === 1), 'no user failed twice: its next connection was served');
  const others = outcomes.filter((o) => o.status === 200 && o.worker !== killed && o.sentAt > crashedAt);
  t.ok(others.length >= 100, `the other workers went on serving during and after the crash (${others.length} answers)`);

  t.equal(gw.child.exitCode, null, 'the process did not abort');
  t.equal(await gw.stop('SIGTERM'), 0, 'and exits 0 on SIGTERM');
});
