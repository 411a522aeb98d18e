import t from 'tap';
import { closeMergePool, composeInPool } from '../../../dist/stages/aggregate/merge-pool.js';

t.teardown(() => closeMergePool());
const shape = (as: string, optional = false) => ({ as, select: null, rename: null, merge: false, optional });

t.test('the pool merges with the bodies moved, not copied, and answers bytes', async (t) => {
  const big = Buffer.from(JSON.stringify({ filler: 'x'.repeat(100_000) }));
  const bigOwn = Buffer.alloc(big.length);
  big.copy(bigOwn); // owns its whole ArrayBuffer, as a gathered large body does
  const small = Buffer.from('{"n":1}'); // a slice of Node's shared allocation pool
  const neighbour = Buffer.from('neighbour'); // shares that pool's memory
  const result = await composeInPool([bigOwn, small], [shape('big'), shape('small')]);
  t.ok(result instanceof Uint8Array, 'bytes, moved back');
  t.same(JSON.parse(Buffer.from(result as Uint8Array).toString()), { big: { filler: 'x'.repeat(100_000) }, small: { n: 1 } });
  t.equal(bigOwn.buffer.byteLength, 0, "the large body's memory was transferred (detached here)");
  t.equal(small.toString(), '{"n":1}', 'a pooled slice was copied, not transferred');
  t.equal(neighbour.toString(), 'neighbour', 'and the memory it shares is intact');
});

t.test('failures and partial answers come back as values', async (t) => {
  t.same(await composeInPool([Buffer.from('nope')], [shape('a')]), { ok: false, call: 0 });
  t.same(await composeInPool([Buffer.from('{}'), Buffer.from('nope')], [shape('a'), shape('b', true)]), { ok: true, json: '{"a":{}}', partial: true });
});
