// What names the gateway's software in an answer, read as the raw header block a client gets: by
// default nothing (uWS's `uWebSockets: 20` header is dropped on every worker thread, and no
// Server header is added); serverTokens: true adds `server: tollgate/VERSION` where an answer has
// none of its own. An upstream's own Server header passes through either way.
import { readFileSync, writeFileSync } from 'node:fs';
import t, { type Test } from 'tap';
import type { GatewayProcess } from '../helpers/gateway-process.js';
import { rawExchange, startRecordingUpstream, type RecordingUpstream } from '../helpers/recording-upstream.js';
import { uwsBuild } from '../helpers/uws-build.js';
import { launch, type LogLine } from './fixtures/system-fixture.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

function config(plain: RecordingUpstream, named: RecordingUpstream, serverTokens: boolean | null): string {
  return `listen: { host: 127.0.0.1, port: 0 }
admin: { host: 127.0.0.1, port: 0 }
log: { level: info, access: false }
${serverTokens === null ? '' : `serverTokens: ${serverTokens}`}
upstreams:
  plain: { targets: ['${plain.url}'] }
  named: { targets: ['${named.url}'] }
routes:
  - { id: plain, match: { path: /plain }, upstream: plain }
  - { id: named, match: { path: /named }, upstream: named }
  - { id: hidden, match: { path: /hidden }, upstream: named, headers: { response: { remove: [server] } } }
  - { id: own, match: { path: /own }, respond: { status: 200, json: { ok: true } } }
`;
}

interface Head {
  status: number;
  /** Lowercased names, in order, with their values. */
  fields: [string, string][];
}

/** One request on a connection of its own, read raw: clients such as fetch hide and fold headers. */
async function rawHead(port: number, path: string): Promise<Head> {
  const { text } = await rawExchange(port, `GET ${path} HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n`, 3_000);
  const lines = text.slice(0, text.indexOf('\r\n\r\n')).split('\r\n');
  const fields = lines.slice(1).map((line): [string, string] => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]);
  return { status: Number(lines[0]!.split(' ')[1]), fields };
}

const values = (head: Head, name: string): string[] => head.fields.filter(([n]) => n === name).map(([, v]) => v);

/** Requests `path` on new connections until both workers answered (x-tollgate-worker, test-only). */
async function fromEveryWorker(gw: GatewayProcess, path: string): Promise<Map<string, Head>> {
  const seen = new Map<string, Head>();
  for (let i = 0; i < 60 && seen.size < 2; i++) {
    const head = await rawHead(gw.port, path);
    seen.set(values(head, 'x-tollgate-worker')[0] ?? '?', head);
  }
  return seen;
}

async function upstreams(t: Test): Promise<[RecordingUpstream, RecordingUpstream]> {
  const plain = await startRecordingUpstream();
  const named = await startRecordingUpstream('HTTP/1.1 200 OK\r\nServer: upstream-x/1.2\r\nContent-Length: 2\r\n\r\nok');
  t.teardown(() => Promise.all([plain.close(), named.close()]));
  return [plain, named];
}

const FAULTS = { TOLLGATE_FAULT_INJECTION: '1' };

t.test(`by default (uWS ${uwsBuild.name}) no answer names the software, on either worker`, async (t) => {
  const [plain, named] = await upstreams(t);
  const gw = await launch(t, config(plain, named, null), { workers: 2, env: FAULTS });
  for (const [path, status, server] of [['/plain', 200, []], ['/named', 200, ['upstream-x/1.2']], ['/hidden', 200, []], ['/own', 200, []], ['/missing', 404, []]] as const) {
    const heads = await fromEveryWorker(gw, path);
    t.same([...heads.keys()].sort(), ['0', '1'], `${path}: both workers answered`);
    for (const [worker, head] of heads) {
      t.equal(head.status, status, `${path} on worker ${worker}: ${status}`);
      t.same(values(head, 'uwebsockets'), [], `${path} on worker ${worker}: no uWebSockets header`);
      t.same(values(head, 'server'), server, `${path} on worker ${worker}: ${server.length === 0 ? 'no Server header' : "the upstream's Server header"}`);
      t.equal(values(head, 'date').length, 1, `${path} on worker ${worker}: Date, once`);
    }
  }
});

t.test('serverTokens: true names Tollgate where the answer has no Server header; a reload turns it off', async (t) => {
  const [plain, named] = await upstreams(t);
  const gw = await launch(t, config(plain, named, true), { workers: 2, env: FAULTS });
  const ours = [`tollgate/${VERSION}`];
  for (const [path, server] of [['/plain', ours], ['/named', ['upstream-x/1.2']], ['/hidden', ours], ['/own', ours], ['/missing', ours]] as const) {
    const heads = await fromEveryWorker(gw, path);
    t.same([...heads.keys()].sort(), ['0', '1'], `${path}: both workers answered`);
    for (const [worker, head] of heads) {
      t.same(values(head, 'server'), server, `${path} on worker ${worker}: server ${server[0]}`);
      t.same(values(head, 'uwebsockets'), [], `${path} on worker ${worker}: no uWebSockets header`);
    }
  }

  const from = gw.logs.length;
  writeFileSync(gw.configFile, config(plain, named, false));
  gw.child.kill('SIGHUP');
  await gw.waitForLog((l: LogLine) => gw.logs.indexOf(l) >= from && l.msg === 'config reloaded');
  for (const [worker, head] of await fromEveryWorker(gw, '/plain')) t.same(values(head, 'server'), [], `after the reload, worker ${worker}: no Server header`);
});
