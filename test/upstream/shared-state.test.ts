// The state workers share about targets and upstreams, driven through two views of one buffer as
// two workers would hold them: circuit breaker, passive health, in-flight counts, retry budget,
// slot reuse, and the pickers that read them. (The gateway tests drive the same code across
// real worker threads.)
import t, { type Test } from 'tap';
import { sharedNow } from '../../dist/shm/shared-clock.js';
import * as L from '../../dist/shm/upstream-state-layout.js';
import { resetTargetSlot } from '../../dist/shm/upstream-slots.js';
import { SlotAllocator } from '../../dist/supervisor/slot-allocator.js';
import { UpstreamSupervision } from '../../dist/supervisor/upstream-supervision.js';
import { Upstream } from '../../dist/upstream/registry.js';
import { RetryBudget } from '../../dist/upstream/retry-budget.js';
import { SharedTarget, ADMIT, PROBE, REFUSE } from '../../dist/upstream/shared-target.js';
import { configOf } from '../config/fixtures/load.js';

interface Line { level: string; obj: Record<string, unknown>; msg: string }

function recorder(): { log: { info: (o: object, m: string) => void; warn: (o: object, m: string) => void; error: (o: object, m: string) => void; debug: (o: object, m: string) => void }; lines: Line[] } {
  const lines: Line[] = [];
  const at = (level: string) => (obj: object, msg: string) => lines.push({ level, obj: obj as Record<string, unknown>, msg });
  return { lines, log: { info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') } };
}

/** Two workers' views of one upstream (its first target unless said otherwise), over one buffer. */
async function twoWorkers(t: Test, upstreamYaml: string) {
  const config = configOf(t, `upstreams:\n  u: ${upstreamYaml}\n`);
  const rec = recorder();
  const supervision = new UpstreamSupervision(rec.log, { push() {}, serial: (task) => task() });
  const plan = await supervision.plan(config);
  const views = L.upstreamStateViews(supervision.buffer);
  const make = () => new Upstream('u', config.upstreams['u']!, plan.assignments['u']!, { state: views, log: rec.log });
  const workers = [make(), make()];
  t.teardown(() => {
    for (const w of workers) for (const p of w.pools()) void p.close();
  });
  return { workers, lines: rec.lines, views, plan };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('circuit breaker: opens at the error rate, one probe per node after the cooldown, closes on success', async (t) => {
  const { workers: [a, b], lines } = await twoWorkers(t, '{ targets: [http://10.0.0.1:1], circuitBreaker: { errorRate: 50%, minRequests: 4, cooldown: 150ms } }');
  const ta = a!.targets[0]!.shared;
  const tb = b!.targets[0]!.shared;
  const now = sharedNow();
  ta.record(false, false, now);
  tb.record(false, false, now);
  ta.record(true, false, now);
  t.equal(tb.circuit(), L.CIRCUIT_CLOSED, 'below minRequests nothing opens');
  tb.record(true, false, now);
  t.equal(tb.circuit(), L.CIRCUIT_CLOSED, 'a success never opens it');
  ta.record(false, false, now);
  t.equal(tb.circuit(), L.CIRCUIT_OPEN, '3 failures of 5 calls, from either worker, open it for both');
  t.equal(tb.eligible(sharedNow()), false);
  t.equal(ta.admit(sharedNow()), REFUSE, 'answered at once while open');
  t.equal(lines.filter((l) => l.msg.startsWith('circuit opened')).length, 1, 'the opening is logged once');
  t.match(lines.find((l) => l.msg.startsWith('circuit opened'))?.obj, { upstream: 'u', target: 'http://10.0.0.1:1', circuit: 'open', failed: 3, requests: 5 });
  await sleep(170);
  const later = sharedNow();
  t.equal(ta.eligible(later), true);
  const admissions = [ta.admit(later), tb.admit(later), ta.admit(later), tb.admit(later)];
  t.same(admissions, [PROBE, REFUSE, REFUSE, REFUSE], 'exactly one probe');
  t.equal(tb.circuit(), L.CIRCUIT_HALF_OPEN);
  ta.record(false, true, sharedNow());
  t.equal(tb.circuit(), L.CIRCUIT_OPEN, 'a failed probe opens it again');
  t.equal(tb.admit(sharedNow()), REFUSE);
  await sleep(170);
  t.equal(tb.admit(sharedNow()), PROBE, 'the next cooldown lets the next probe through, from any worker');
  tb.record(true, true, sharedNow());
  t.equal(ta.circuit(), L.CIRCUIT_CLOSED, 'a successful probe closes it');
  t.equal(ta.admit(sharedNow()), ADMIT);
  ta.record(false, false, sharedNow());
  t.equal(ta.circuit(), L.CIRCUIT_CLOSED, 'the window restarted empty: one failure does not reopen it');
  t.same(lines.map((l) => l.msg.split(':')[0]), ['circuit opened', 'circuit half-open', 'circuit opened again', 'circuit half-open', 'circuit closed']);
});

t.test('passive health: failures in a row across workers take a target out; a success resets the streak', async (t) => {
  const { workers: [a, b], lines } = await twoWorkers(t, '{ targets: [http://10.0.0.1:1, http://10.0.0.2:1], healthCheck: { path: /h, passiveFailures: 3 } }');
  const ta = a!.targets[0]!.shared;
  const tb = b!.targets[0]!.shared;
  const now = sharedNow();
  ta.record(false, false, now);
  tb.record(false, false, now);
  ta.record(true, false, now);
  ta.record(false, false, now);
  tb.record(false, false, now);
  t.equal(ta.healthy(), true, 'two in a row after a success');
  tb.record(false, false, now);
  t.equal(ta.healthy(), false, 'three in a row, counted across the workers');
  t.equal(b!.picker.pick('', null, now), b!.targets[1], 'the picker skips it');
  t.equal(lines.length, 1);
  t.match(lines[0], { level: 'warn', obj: { health: 'down', failures: 3, target: 'http://10.0.0.1:1' } });
  tb.record(false, false, now);
  t.equal(lines.length, 1, 'marked down once');
});

t.test('in-flight counts are shared, and a reused slot never mixes owners', async (t) => {
  const { workers: [a, b] } = await twoWorkers(t, '{ targets: [http://10.0.0.1:1, http://10.0.0.2:1], balance: least-requests }');
  const [a1, a2] = a!.targets.map((x) => x.shared);
  t.ok(a1!.acquire() && b!.targets[0]!.shared.acquire());
  t.equal(a1!.inFlight(), 2);
  t.equal(b!.picker.pick('', null, sharedNow()), b!.targets[1], 'least-requests picks the idle target');
  t.ok(a2!.acquire() && a2!.acquire() && a2!.acquire());
  t.equal(a!.picker.pick('', null, sharedNow()), a!.targets[0], 'then the first again, 2 in flight against 3');
  a1!.release();
  t.equal(b!.targets[0]!.shared.inFlight(), 1);

  const buffer = L.createUpstreamState();
  const views = L.upstreamStateViews(buffer);
  const slots = new SlotAllocator(2, (slot, epoch) => resetTargetSlot(views, slot, epoch));
  const policy = { checkHealth: true, passiveFailures: 1, breaker: null };
  const quiet = recorder().log;
  const first = slots.assign('u\0http://a:1')!;
  slots.assign('u\0http://b:1');
  const old = new SharedTarget(views, first.slot, first.epoch, policy, quiet, { upstream: 'u', target: 'http://a:1' });
  t.ok(old.acquire());
  slots.keepOnly(new Set(['u\0http://b:1']));
  const reused = slots.assign('u\0http://c:1')!;
  t.equal(reused.slot, first.slot, 'with every slot used once, a released slot is reused');
  t.not(reused.epoch, first.epoch, 'under a new epoch');
  const fresh = new SharedTarget(views, reused.slot, reused.epoch, policy, quiet, { upstream: 'u', target: 'http://c:1' });
  t.equal(fresh.inFlight(), 0, 'the new owner starts from zero');
  old.release();
  t.equal(old.acquire(), false, 'the old owner can no longer count');
  t.ok(fresh.acquire());
  old.release();
  t.equal(fresh.inFlight(), 1, 'nor uncount');
  old.record(false, false, sharedNow());
  t.equal(fresh.healthy(), true, 'nor report outcomes on it');
  t.equal(slots.assign('u\0http://d:1'), null, 'no slot left');
});

t.test('retry budget: a share of the first tries over the window, shared, with a floor', async (t) => {
  const views = L.upstreamStateViews(L.createUpstreamState());
  const one = new RetryBudget(views, 0, 0, 0.2, 3);
  const two = new RetryBudget(views, 0, 0, 0.2, 3);
  const now = sharedNow();
  let granted = 0;
  for (let i = 0; i < 5; i++) if ((i % 2 === 0 ? one : two).tryRetry(now)) granted++;
  t.equal(granted, 3, 'with no traffic, the floor');
  for (let i = 0; i < 50; i++) {
    one.noteRequest(now);
    two.noteRequest(now);
  }
  for (let i = 0; i < 40; i++) if ((i % 2 === 0 ? one : two).tryRetry(now)) granted++;
  t.equal(granted, 20, '20% of 100 first tries, whichever worker asks');
  t.same(RetryBudget.retriesInWindow(views, 0, now), { requests: 100, retries: 20 });
  t.equal(one.tryRetry(now + 10_500), true, 'the window slides: 10 s later the old tries and retries are gone');
});

t.test('pickers skip targets that are down; consistent-hash falls back along the ring', async (t) => {
  const { workers: [a, b], views, plan } = await twoWorkers(t, '{ targets: [http://10.0.0.1:1, http://10.0.0.2:1, http://10.0.0.3:1], balance: consistent-hash, healthCheck: { path: /h } }');
  const now = sharedNow();
  const keys = Array.from({ length: 300 }, (_, i) => `k${i}`);
  const owners = new Map(keys.map((k) => [k, a!.picker.pick(k, null, now)!.origin]));
  t.same(keys.map((k) => b!.picker.pick(k, null, now)!.origin), keys.map((k) => owners.get(k)), 'every worker maps a key to the same target');
  const down = plan.assignments['u']!.targets[1]!;
  Atomics.store(views.words, L.targetBase(down.slot) + L.T_HEALTH, L.HEALTH_DOWN);
  let moved = 0;
  let wrong = 0;
  for (const k of keys) {
    const picked = b!.picker.pick(k, null, now)!.origin;
    if (owners.get(k) === down.url) moved++;
    if (owners.get(k) === down.url ? picked === down.url : picked !== owners.get(k)) wrong++;
  }
  t.equal(wrong, 0, 'keys of the down target move on along the ring; keys of healthy targets stay');
  t.ok(moved > 0, `${moved} keys of the down target moved`);
  const tried = [b!.targets[0]!];
  const retryPick = b!.picker.pick('k1', tried, now);
  t.ok(retryPick !== null && retryPick !== b!.targets[0] && retryPick.origin !== down.url, 'a retry goes to another healthy target');
  for (const x of plan.assignments['u']!.targets) Atomics.store(views.words, L.targetBase(x.slot) + L.T_HEALTH, L.HEALTH_DOWN);
  t.equal(b!.picker.pick('k1', null, now), null, 'none healthy: none picked');
});
