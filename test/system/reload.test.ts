// SIGHUP (SPEC §6): a reload under load swaps the config on every worker with no failed or
// dropped request; an invalid file or a restart-only change keeps the running config.
import { writeFileSync } from 'node:fs';
import t from 'tap';
import type { DemoUpstreams } from '../../dist/demo/index.js';
import type { GatewayProcess } from '../helpers/gateway-process.js';
import { failuresOf, startLoad } from './fixtures/load-loop.js';
import { configHead, fetchText, launch, logsSince, poll, startUpstreams, waitForLogSince } from './fixtures/system-fixture.js';

const RELOADS = 5;

/** Generation `n` of the config: /hot alternates between two upstreams and carries x-gen: n; /added-n exists from n = 1. */
function configFor(demo: DemoUpstreams, n: number, listenPort = 0): string {
  const added = n === 0 ? '' : `  - id: added-${n}
    match: { path: /added-${n} }
    respond: { status: 200, json: { added: ${n} } }
`;
  return `${configHead(demo).replace('port: 0 }', `port: ${listenPort} }`)}log: { access: false }
routes:
  - id: hot
    match: { path: /hot, methods: [GET] }
    upstream: ${n % 2 === 0 ? 'users' : 'orders'}
    rewrite: /echo
    headers: { response: { set: { x-gen: "${n}" } } }
${added}`;
}

async function hup(gw: GatewayProcess): Promise<Record<string, unknown>> {
  const from = gw.logs.length;
  gw.child.kill('SIGHUP');
  return waitForLogSince(gw, from, (l) => l.msg === 'config reloaded' || String(l.msg).startsWith('config reload rejected'));
}

t.test('SIGHUP reloads under load with zero failed requests', async (t) => {
  const demo = await startUpstreams(t);
  const gw = await launch(t, configFor(demo, 0), { workers: 2 });
  const load = startLoad({ url: gw.url + '/hot', concurrency: 8, maxRequests: 3_000, maxMs: 8_000 });
  let reloadsUnderLoad = 0;
  try {
    for (let n = 1; n <= RELOADS; n++) {
      // Spread the reloads through the run: each after another slice of requests.
      const before = load.finished();
      await poll(() => load.finished() >= before + 150, 2_000, 5);
      writeFileSync(gw.configFile, configFor(demo, n));
      const line = await hup(gw);
      t.equal(line.msg, 'config reloaded', `reload ${n} applied`);
      if (load.running()) reloadsUnderLoad++;
    }
    // Some more requests on the last generation before the load ends.
    const after = load.finished();
    await poll(() => load.finished() >= after + 150, 2_000, 5);
  } finally {
    load.stop();
  }
  const outcomes = await load.done;
  t.equal(reloadsUnderLoad, RELOADS, 'every reload happened while the load ran');
  t.ok(outcomes.length >= 500, `${outcomes.length} requests sent`);
  t.same(failuresOf(outcomes), [], 'zero failed requests: every answer is a 200, no socket errors');

  const gens = new Set(outcomes.map((o) => o.reply?.headers['x-gen']));
  t.ok(gens.size >= 3, `answers came from several generations (${[...gens].join(',')})`);
  for (const o of outcomes) {
    const gen = Number(o.reply?.headers['x-gen']);
    if (o.reply?.json().service !== (gen % 2 === 0 ? 'users' : 'orders')) {
      t.fail(`generation ${gen} answered from the wrong upstream`);
      break;
    }
  }

  const last = await fetchText(gw.url + `/added-${RELOADS}`);
  t.equal(last.status, 200, 'the route added by the last reload answers');
  t.same(last.json(), { added: RELOADS });
  t.equal((await fetchText(gw.url + '/hot')).headers['x-gen'], String(RELOADS));
  t.equal((await fetchText(gw.url + `/added-${RELOADS - 1}`)).status, 404, 'a route the new file dropped is gone');
});

t.test('SIGHUP with an invalid file logs FILE:LINE:COL errors and keeps the old config serving', async (t) => {
  const demo = await startUpstreams(t);
  const gw = await launch(t, configFor(demo, 1), { workers: 2 });
  writeFileSync(gw.configFile, configFor(demo, 2).replace('upstream: users', 'upstream: ghost').replace('methods: [GET]', 'methods: [GET], verbs: [PUT]'));
  const line = await hup(gw);
  t.match(line.msg, /config reload rejected/);
  t.equal(line.level, 50, 'logged at error level');
  const errors = line.errors as string[];
  t.equal(errors.length, 2, errors.join('\n'));
  for (const e of errors) t.ok(e.startsWith(gw.configFile + ':'), e);
  t.ok(errors.some((e) => /:\d+:\d+ routes\.0\.upstream: .*ghost/.test(e)), 'the undefined upstream, with its position');
  t.ok(errors.some((e) => /:\d+:\d+ routes\.0\.match\.verbs: /.test(e)), 'the unknown key, with its position');

  for (let i = 0; i < 4; i++) {
    const res = await fetchText(gw.url + '/hot', { reset: true });
    t.equal(res.status, 200);
    t.equal(res.headers['x-gen'], '1', 'still the old config');
    t.equal(res.json().service, 'orders');
  }
  t.equal((await fetchText(gw.url + '/added-1')).status, 200);
  t.equal((await fetchText(`${gw.adminUrl}/ready`)).json().generation, 1);

  writeFileSync(gw.configFile, configFor(demo, 2));
  t.equal((await hup(gw)).msg, 'config reloaded', 'a fixed file reloads afterwards');
  t.equal((await fetchText(gw.url + '/hot')).headers['x-gen'], '2');
});

t.test('a reload that changes listen.port is refused', async (t) => {
  const demo = await startUpstreams(t);
  const gw = await launch(t, configFor(demo, 1), { workers: 2 });
  writeFileSync(gw.configFile, configFor(demo, 2, gw.port + 1));
  const line = await hup(gw);
  t.match(line.msg, /config reload rejected/);
  // The key's position in the new file, what changed, and what to do.
  t.same(line.errors, [`${gw.configFile}:1:28 listen.port: changing the port of listener 127.0.0.1:${gw.port} to ${gw.port + 1} needs a restart: `
    + 'reload refused, the running config keeps serving; restart Tollgate to apply it (systemctl restart tollgate)']);
  const res = await fetchText(gw.url + '/hot');
  t.equal(res.status, 200);
  t.equal(res.headers['x-gen'], '1', 'the running config is kept whole');
  t.equal((await fetchText(gw.url + '/added-2')).status, 404, 'no part of the refused file was applied');
  t.equal((await fetchText(`${gw.adminUrl}/ready`)).json().generation, 1);
});

t.test("a reload applies log.level to the supervisor's own lines too", async (t) => {
  const demo = await startUpstreams(t);
  const gw = await launch(t, configFor(demo, 0), { workers: 1 });
  const generation = async (): Promise<number> => (await fetchText(`${gw.adminUrl}/ready`)).json().generation as number;
  const first = await generation();
  const quiet = (n: number): string => configFor(demo, n).replace('log: { access: false }', 'log: { level: warn, access: false }');
  const from = gw.logs.length;
  writeFileSync(gw.configFile, quiet(1));
  gw.child.kill('SIGHUP');
  t.ok(await poll(async () => (await generation()) === first + 1, 5_000), 'the reload to warn applied');
  writeFileSync(gw.configFile, configFor(demo, 2));
  const line = await hup(gw);
  t.equal(line.msg, 'config reloaded', 'back at info: the reload is logged');
  t.equal(line.generation, first + 2);
  t.same(logsSince(gw, from, (l) => l.msg === 'config reloaded').map((l) => l.generation), [first + 2],
    'the reload to warn logged no info line: the supervisor followed the new level at once');
});
