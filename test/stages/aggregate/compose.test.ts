import t from 'tap';
import { composeBodies } from '../../../dist/stages/aggregate/compose.js';

const b = (v: unknown): Uint8Array => Buffer.from(JSON.stringify(v));
const shape = (as: string, extra: object = {}) => ({ as, select: null, rename: null, merge: false, optional: false, ...extra });

t.test('merging in call order, failed calls left out, the first non-JSON body reported', async (t) => {
  const shapes = [shape('a', { merge: true }), shape('b'), shape('c', { merge: true })];
  t.same(JSON.parse((composeBodies([b({ x: 1, y: 1 }), null, b({ y: 2 })], shapes) as { json: string }).json), { x: 1, y: 2 }, 'later calls win a clash');
  t.same(composeBodies([b({}), Buffer.from('{oops'), Buffer.from([0xff])], shapes), { ok: false, call: 1 });
  t.same(composeBodies([b({ x: 1 }), Buffer.from('{oops')], [shape('a'), shape('b', { optional: true })]), { ok: true, json: '{"a":{"x":1}}', partial: true }, 'an optional call that is not JSON is left out');
  t.same(composeBodies([Buffer.from([0x22, 0xff, 0x22])], [shape('a')]), { ok: false, call: 0 }, 'invalid UTF-8 is not JSON');
  t.same(JSON.parse((composeBodies([b([1, 2])], [shape('list', { merge: true })]) as { json: string }).json), { list: [1, 2] }, 'a non-object result stays under its key');
  const merged = composeBodies([Buffer.from('{"__proto__": {"admin": true}}')], [shape('a', { merge: true })]) as { json: string };
  t.equal(merged.json, '{"__proto__":{"admin":true}}', 'merged as a field, not a prototype');
});
