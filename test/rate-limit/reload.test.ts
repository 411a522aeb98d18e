// SIGHUP keeps the counters of limits it does not change (the table outlives every reload and keys
// never include a route's position); a changed limit starts afresh; the capacity needs a restart.
import { writeFileSync } from 'node:fs';
import t from 'tap';
import type { GatewayProcess } from '../helpers/gateway-process.js';
import { launch, waitForLogSince, type LogLine } from '../system/fixtures/system-fixture.js';
import { get } from './fixture.js';

const head = (capacity: number): string => `listen: { host: 127.0.0.1, port: 0 }
admin: { host: 127.0.0.1, port: 0 }
log: { level: info, access: false }
rateLimits: { capacity: ${capacity} }
routes:
`;
const LIMITED = '  - { id: limited, match: { path: /limited }, respond: { body: ok }, rateLimit: { limit: LIMIT, window: 1h } }\n';
const OTHER = '  - { id: other, match: { path: /other }, respond: { body: other } }\n';

async function reload(gw: GatewayProcess, yaml: string): Promise<LogLine> {
  writeFileSync(gw.configFile, yaml);
  const from = gw.logs.length;
  gw.child.kill('SIGHUP');
  return waitForLogSince(gw, from, (l) => l.msg === 'config reloaded' || String(l.msg).startsWith('config reload rejected'));
}

t.test('counters survive a reload that moves the route; a changed limit starts afresh; capacity needs a restart', async (t) => {
  const gw = await launch(t, head(1000) + LIMITED.replace('LIMIT', '3'), { workers: 2 });
  const call = () => get(`${gw.url}/limited`);
  t.same([(await call()).status, (await call()).status], [200, 200]);

  // Another route in front of it: its index changes, its limit does not.
  const line = await reload(gw, head(1000) + OTHER + LIMITED.replace('LIMIT', '3'));
  t.equal(line.msg, 'config reloaded');
  t.equal((await get(`${gw.url}/other`)).text, 'other', 'the new config serves');
  const third = await call();
  t.same([third.status, third.state], [200, '"limited";r=0;t=3600'], 'the count went on from 2');
  t.equal((await call()).status, 429);

  await reload(gw, head(1000) + OTHER + LIMITED.replace('LIMIT', '4'));
  const fresh = [];
  for (let i = 0; i < 5; i++) fresh.push((await call()).status);
  t.same(fresh, [200, 200, 200, 200, 429], 'a new limit is a new budget');

  const refused = await reload(gw, head(8) + OTHER + LIMITED.replace('LIMIT', '4'));
  t.match(refused, { msg: 'config reload rejected; keeping the running config', errors: [/rateLimits\.capacity: changing the size of the rate-limit table needs a restart/] });
  t.equal((await call()).status, 429, 'still the running table and counts');
});

t.test('a worker that dies is replaced on the same table: the counts go on', async (t) => {
  const gw = await launch(t, head(1000) + LIMITED.replace('LIMIT', '3'), { workers: 1, env: { TOLLGATE_FAULT_INJECTION: '1' } });
  const call = () => get(`${gw.url}/limited`);
  t.same([(await call()).status, (await call()).status], [200, 200]);
  const from = gw.logs.length;
  t.equal((await get(`${gw.url}/limited`, { 'x-tollgate-fault': 'crash-worker' })).status, 202);
  await waitForLogSince(gw, from, (l) => l.msg === 'worker replaced: the new thread is serving', 10_000);
  t.same([(await call()).status, (await call()).status], [200, 429], 'the replacement counted on from 2');
});
