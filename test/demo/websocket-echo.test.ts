// The demo services' WebSocket echo, directly and through the default config's `live` route,
// driven by the client one-liner config/gateway.yaml and the README show.
import t from 'tap';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { startGateway } from '../helpers/gateway-process.js';
import { startDemo } from './fixtures/demo-fixture.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const GATEWAY_YAML = readFileSync(`${ROOT}/config/gateway.yaml`, 'utf8');

t.test('WS /ws/echo on a demo service: echoes text and binary; "close CODE REASON" closes', async (t) => {
  const demo = await startDemo(t);
  const ws = new WebSocket(`ws://127.0.0.1:${demo.ports.orders}/ws/echo`);
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  const next = (): Promise<[Buffer, boolean]> => new Promise((resolve) => ws.once('message', (d: Buffer, b: boolean) => resolve([d, b])));
  ws.send('hello');
  t.same((await next()).map(String), ['hello', 'false']);
  ws.send(Buffer.from([1, 2, 3]), { binary: true });
  const [data, binary] = await next();
  t.same([[...data], binary], [[1, 2, 3], true]);
  const closed = new Promise<[number, string]>((resolve) => ws.once('close', (code, reason) => resolve([code, reason.toString()])));
  ws.send('close 4100 see you');
  t.same(await closed, [4100, 'see you']);
});

t.test("the default config's live route and the client one-liner it shows", async (t) => {
  const demo = await startDemo(t);
  let yaml = GATEWAY_YAML.replace('port: 8080', 'port: 0').replace('port: 9901', 'port: 0').replace('workers: auto', 'workers: 1')
    .replace('dataDir: ${STATE_DIRECTORY:-./data}', `dataDir: ${t.testdirName}`);
  for (const [service, port] of Object.entries(demo.ports)) yaml = yaml.replace(new RegExp(`127\\.0\\.0\\.1:900${['users', 'orders', 'slow', 'flaky'].indexOf(service) + 1}`, 'g'), `127.0.0.1:${port}`);
  t.testdir({});
  const gw = await startGateway(yaml);
  t.teardown(() => gw.stop());
  const line = /^# WebSocket: node -e "(.*)"$/m.exec(GATEWAY_YAML);
  t.ok(line, 'config/gateway.yaml shows a client');
  const script = line![1]!.replace('ws://localhost:8080', `ws://localhost:${gw.port}`);
  // Not execFileSync: the demo upstreams run in this process and must go on answering.
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 10_000 });
  t.equal(stdout, 'hi\n');
  t.match(readFileSync(`${ROOT}/README.md`, 'utf8'), line![1]!, 'the README shows the same client');
});
