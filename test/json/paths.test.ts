import t from 'tap';
import { compilePath, getPath, removePath, removePaths, renamePaths, selectPaths, setPath, setPaths } from '../../dist/json/paths.js';

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

t.test('remove, rename and set go through lists: each element', async (t) => {
  const doc = () => ({ items: [{ id: 1, secret: 'a', tags: { x: 1 } }, { id: 2 }, 'text'], top: { secret: 1 } });
  t.same(removePaths(doc(), p('items.secret', 'items.tags.x', 'top.secret', 'missing.x')),
    { items: [{ id: 1, tags: {} }, { id: 2 }, 'text'], top: {} });
  t.same(removePaths([{ a: 1, b: 2 }, { a: 3 }], p('a')), [{ b: 2 }, {}], 'a top-level list');

  const r = (from: string, to: string) => [compilePath(from), compilePath(to)] as const;
  t.same(renamePaths(doc(), [r('items.id', 'items.key')]),
    { items: [{ key: 1, secret: 'a', tags: { x: 1 } }, { key: 2 }, 'text'], top: { secret: 1 } }, 'within each element of the shared list');
  t.same((renamePaths(doc(), [r('items.tags.x', 'items.x')]) as { items: unknown[] }).items[0], { id: 1, secret: 'a', tags: {}, x: 1 }, 'up a level inside each element');
  t.same(renamePaths(doc(), [r('items.id', 'ids')]), doc(), 'a from through a list below the shared part moves nothing');
  t.same(renamePaths([{ a: 1 }, { a: 2 }], [r('a', 'b.c')]), [{ b: { c: 1 } }, { b: { c: 2 } }], 'a top-level list');
  t.equal(renamePaths(5, [r('a', 'b')]), 5);

  const set = setPaths(doc(), [[compilePath('items.meta.v'), 1], [compilePath('top.secret.deep'), { z: [1] }], [compilePath('new.x'), null]]) as Record<string, any>;
  t.same(set, { items: [{ id: 1, secret: 'a', tags: { x: 1 }, meta: { v: 1 } }, { id: 2, meta: { v: 1 } }, 'text'], top: { secret: { deep: { z: [1] } } }, new: { x: null } },
    'parents created, a scalar parent replaced, each object element of a list set');
  const frozen = Object.freeze({ a: 1 });
  const two = setPaths([{}, {}], [[compilePath('v'), frozen], [compilePath('v.b'), 2]]) as Record<string, any>[];
  t.same(two, [{ v: { a: 1, b: 2 } }, { v: { a: 1, b: 2 } }], 'each gets its own copy of the value');
  t.not(two[0]!.v, two[1]!.v);
  t.same(frozen, { a: 1 }, 'the configured value is not changed');
  t.equal(setPaths('text', [[compilePath('a'), 1]]), 'text');
});
