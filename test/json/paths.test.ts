import t from 'tap';
import { compilePath, getPath, removePath, renamePaths, selectPaths, setPath } from '../../dist/json/paths.js';

const p = (...paths: string[]) => paths.map(compilePath);

t.test('select keeps the listed paths, through lists', async (t) => {
  const doc = { a: 1, b: { c: 2, d: 3 }, list: [{ x: 1, y: 2, z: 3 }, { x: 4, y: 5 }, 7], gone: null };
  t.same(selectPaths(doc, p('a', 'b.c')), { a: 1, b: { c: 2 } });
  t.same(selectPaths(doc, p('list.x', 'list.y')), { list: [{ x: 1, y: 2 }, { x: 4, y: 5 }, 7] }, 'two paths through one list fill the same elements');
  t.same(selectPaths(doc, p('missing', 'a.deeper', 'gone')), { gone: null }, 'missing paths are left out; a present null is kept');
  t.same(selectPaths([{ a: 1, b: 2 }], p('a')), [{ a: 1 }], 'a top-level list applies to each element');
  t.equal(selectPaths('text', p('a')), 'text');
  t.same(doc.b, { c: 2, d: 3 }, 'the input is not changed');
});

t.test('rename moves fields, creating parents; get, set and remove', async (t) => {
  const doc: Record<string, unknown> = { name: 'Ada', meta: { id: 1 } };
  t.same(renamePaths(doc, [[compilePath('name'), compilePath('person.fullName')], [compilePath('meta.id'), compilePath('id')], [compilePath('none'), compilePath('x')]]),
    { meta: {}, person: { fullName: 'Ada' }, id: 1 });
  t.equal(getPath({ a: { b: [1] } }, compilePath('a.b.0')), undefined, 'paths go through objects only');
  const o: Record<string, unknown> = { a: 5 };
  setPath(o, compilePath('a.b'), 1);
  t.same(o, { a: { b: 1 } }, 'a non-object parent is replaced');
  t.equal(removePath(o, compilePath('a.b')), true);
  t.equal(removePath(o, compilePath('a.b')), false);
  const hostile = JSON.parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>;
  t.same(renamePaths(hostile, [[compilePath('__proto__'), compilePath('safe')]]), { safe: { polluted: true } }, "a body's own __proto__ key is data");
  t.equal(({} as Record<string, unknown>).polluted, undefined);
});
