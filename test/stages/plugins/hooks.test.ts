// Plugin hooks through a real gateway (one worker) in front of a real upstream: order of several
// plugins, request changes, early answers, answer changes, failures (throw, timeout, invalid
// changes) and function routes; and that a route without plugins runs none of their code.
import t from 'tap';
import { startGateway } from '../../helpers/gateway-process.js';
import { fetchText } from '../../helpers/http-reply.js';
import { BIG, fixture, startJsonUpstream } from './fixtures/json-upstream.js';

const PROBLEM = 'application/problem+json';

t.test('plugin hooks', async (t) => {
  const up = await startJsonUpstream(t);
  const gw = await startGateway(`
listen: { host: 127.0.0.1, port: 0 }
workers: 1
admin: { host: 127.0.0.1, port: 0 }
log: { level: info, access: true }
upstreams:
  up: { targets: ['${up.url}'] }
plugins:
  a: { module: '${fixture('tagging.js')}', options: { tag: A } }
  b: { module: '${fixture('tagging.js')}', options: { tag: B, async: true } }
  c: { module: '${fixture('tagging.js')}', options: { tag: C } }
  script: { module: '${fixture('scripted.js')}', timeout: 200ms, maxBodySize: 64kb }
  body: { module: '${fixture('body-reader.js')}', maxBodySize: 1kb }
routes:
  - { id: ordered, match: { path: /ordered/* }, upstream: up, plugins: [a, b, c] }
  - { id: scripted, match: { path: /s/* }, upstream: up, plugins: [script] }
  - { id: body, match: { path: /body/* }, upstream: up, plugins: [body] }
  - { id: plain, match: { path: /plain/* }, upstream: up }
  - { id: calls, match: { path: /calls }, respond: { plugin: a } }
`);
  t.teardown(() => gw.stop());
  const last = () => up.seen.at(-1)!;

  await t.test('several plugins run in order on the way up and in reverse on the way down', async (t) => {
    const r = await fetchText(`${gw.url}/ordered/x`);
    t.equal(r.status, 200);
    t.equal(last().headers['x-order'], 'ABC', 'a, b (async), c in the listed order');
    t.equal(r.headers['x-order-back'], 'CBA', 'answers pass them in reverse');
  });

  await t.test('a route without plugins runs no plugin code', async (t) => {
    const before = (await fetchText(`${gw.url}/calls`)).json().calls as number;
    for (let i = 0; i < 5; i++) t.equal((await fetchText(`${gw.url}/plain/x`)).status, 200);
    t.equal((await fetchText(`${gw.url}/calls`)).json().calls, before, 'the counting plugin was not called for the plain route');
    t.equal(last().headers['x-order'], undefined);
    await fetchText(`${gw.url}/ordered/x`);
    t.equal((await fetchText(`${gw.url}/calls`)).json().calls, before + 3, 'and was for its own route (a, b and c share the module)');
  });

  await t.test('onRequest changes method, path, query and headers', async (t) => {
    const r = await fetchText(`${gw.url}/s/deep/er?orig=1`, { headers: { 'x-script': 'rewrite', 'x-remove-me': '1' } });
    t.equal(r.status, 200);
    t.equal(last().method, 'PUT');
    t.equal(last().url, '/rewritten/deep/er?added=1');
    t.equal(last().headers['x-added'], 'yes');
    t.equal(last().headers['x-remove-me'], undefined);
    t.equal(r.headers['x-script-seen'], 'rewrite', 'onResponse sees the locals onRequest set');
  });

  await t.test('early answers end the request before the upstream', async (t) => {
    const count = up.seen.length;
    const r = await fetchText(`${gw.url}/s/x`, { headers: { 'x-script': 'answer' } });
    t.equal(r.status, 403);
    t.equal(r.headers['x-from'], 'plugin');
    t.equal(r.headers['content-type'], 'application/json');
    t.same(r.json(), { refused: true, path: '/s/x' });
    t.equal(r.headers['x-script-seen'], undefined, 'no onResponse for an early answer');
    const text = await fetchText(`${gw.url}/s/x`, { headers: { 'x-script': 'text-answer' } });
    t.equal(text.text, 'plain words');
    t.match(text.headers['content-type'], /^text\/plain/);
    const head = await fetchText(`${gw.url}/s/x`, { method: 'HEAD', headers: { 'x-script': 'text-answer' } });
    t.equal(head.headers['content-length'], '11', 'HEAD gets the length without the body');
    t.equal(up.seen.length, count, 'the upstream saw none of them');
  });

  await t.test('a hook that throws, times out or makes an invalid change is a 500 problem and one error line', async (t) => {
    for (const script of ['throw', 'hang', 'bad-answer', 'bad-path', 'bad-header', 'throw-back', 'hang-back']) {
      const r = await fetchText(`${gw.url}/s/json`, { headers: { 'x-script': script } });
      t.equal(r.status, 500, script);
      t.equal(r.headers['content-type'], PROBLEM, script);
      const id = r.headers['x-request-id'] as string;
      t.match(r.json(), { type: 'https://tollgate.dev/problems/plugin-failed', instance: id }, script);
      if (script.startsWith('hang')) t.match(r.json().detail, /did not finish within 200ms/);
      const line = await gw.waitForLog((l) => l.msg === 'plugin hook failed' && l.requestId === id);
      t.equal(line.plugin, 'script', `${script}: the error line names the plugin`);
      t.equal(line.hook, script.endsWith('-back') ? 'onResponse' : 'onRequest');
    }
    t.equal((await fetchText(`${gw.url}/s/json`)).status, 200, 'the worker serves on');
  });

  await t.test('onResponse changes status, headers and a held JSON body', async (t) => {
    const r = await fetchText(`${gw.url}/s/json`, { headers: { 'x-script': 'status-back' } });
    t.equal(r.status, 202);
    t.same(r.json(), { a: 1, list: [1, 2], shaped: true });
    t.equal(r.headers['content-length'], String(Buffer.byteLength(r.text)), 'Content-Length fixed up');
    const chunked = await fetchText(`${gw.url}/s/chunked-json`);
    t.same(chunked.json(), { chunked: true, shaped: true }, 'a streamed JSON answer is held too');
    const big = await fetchText(`${gw.url}/s/big-json`);
    t.same(big.json(), BIG, 'larger than maxBodySize: passes through unchanged');
    t.equal(big.headers['x-script-seen'], '', 'its headers still go through the hook');
    const text = await fetchText(`${gw.url}/s/text`);
    t.equal(text.text, 'hello', 'not JSON: untouched');
  });

  await t.test('the access line carries what the plugins logged', async (t) => {
    const r = await fetchText(`${gw.url}/s/x`, { headers: { 'x-script': 'logged' } });
    const id = r.headers['x-request-id'];
    const line = await gw.waitForLog((l) => l.msg === 'request' && l.requestId === id);
    t.same(line.plugin, { script: 'logged' });
  });

  await t.test('an upload arriving while an async hook runs reaches the upstream whole', async (t) => {
    const body = 'x'.repeat(100_000);
    const r = await fetchText(`${gw.url}/s/upload`, { method: 'POST', body, headers: { 'x-script': 'slow-body', 'content-type': 'text/plain' } });
    t.equal(r.status, 200);
    t.equal(last().body.length, body.length);
  });

  await t.test('a plugin reads and replaces the request body', async (t) => {
    const r = await fetchText(`${gw.url}/body/x`, { method: 'POST', body: 'hello body' });
    t.equal(r.status, 200);
    t.equal(last().headers['x-body-bytes'], '10');
    t.equal(last().body, 'hello body');
    await fetchText(`${gw.url}/body/x`, { method: 'POST', body: 'hello body', headers: { 'x-replace-body': '1' } });
    t.equal(last().body, 'replaced:10');
    t.equal(last().headers['content-length'], '11', 'the upstream gets the new length');
    const none = await fetchText(`${gw.url}/body/x`);
    t.equal(none.status, 200);
    t.equal(last().headers['x-body-bytes'], '0', 'no body: an empty one');
    const large = await fetchText(`${gw.url}/body/x`, { method: 'POST', body: 'y'.repeat(2000) });
    t.equal(large.status, 413, 'over the plugin maxBodySize');
  });
});
