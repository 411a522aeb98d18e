// The consistent-hash ring: a target that leaves moves only its own keys; weights set the shares.
import t from 'tap';
import { HashRing, hash32 } from '../../dist/upstream/hash-ring.js';

const origins = (n: number) => Array.from({ length: n }, (_, i) => ({ origin: `http://10.0.0.${i + 1}:8080`, weight: 1 }));
const keys = Array.from({ length: 20_000 }, (_, i) => `client-${i}`);

t.test('removing a target moves only the keys it owned', async (t) => {
  const before = origins(5);
  const ring = new HashRing(before);
  const after = before.filter((_, i) => i !== 2);
  const smaller = new HashRing(after);
  let others = 0;
  let stayed = 0;
  for (const key of keys) {
    const owner = before[ring.owner(key)]!.origin;
    if (owner === before[2]!.origin) continue;
    others++;
    if (after[smaller.owner(key)]!.origin === owner) stayed++;
  }
  t.ok(stayed / others >= 0.9, `${stayed} of ${others} keys of the other targets stay (at least 90%)`);
  t.equal(stayed, others, 'in fact all of them: a target\'s points depend on its origin alone');
});

t.test('adding a target takes keys only for itself', async (t) => {
  const before = origins(4);
  const after = origins(5);
  const a = new HashRing(before);
  const b = new HashRing(after);
  let moved = 0;
  let elsewhere = 0;
  for (const key of keys) {
    const was = before[a.owner(key)]!.origin;
    const is = after[b.owner(key)]!.origin;
    if (was === is) continue;
    moved++;
    if (is !== after[4]!.origin) elsewhere++;
  }
  t.equal(elsewhere, 0, 'a key that moves goes to the new target');
  t.ok(moved > keys.length * 0.1 && moved < keys.length * 0.3, `the new target took ${moved} of ${keys.length} keys (about a fifth)`);
});

t.test('shares follow the weights, and every worker builds the same ring', async (t) => {
  const members = [{ origin: 'http://a:1', weight: 1 }, { origin: 'http://b:1', weight: 3 }];
  const ring = new HashRing(members);
  const counts = [0, 0];
  for (const key of keys) counts[ring.owner(key)]!++;
  const share = counts[1]! / keys.length;
  t.ok(share > 0.68 && share < 0.82, `weight 3 of 4 takes ${(share * 100).toFixed(1)}% of the keys`);
  const again = new HashRing(members);
  t.same(again.hashes, ring.hashes);
  t.same(again.owners, ring.owners);
  t.equal(ring.hashes.length, 400, '100 points per unit of weight');
});

t.test('hash32 spreads short keys over 32 bits', async (t) => {
  const seen = new Set(keys.map(hash32));
  t.equal(seen.size, keys.length, 'no collision among 20,000 short keys');
  const high = keys.filter((k) => hash32(k) >= 2 ** 31).length / keys.length;
  t.ok(high > 0.45 && high < 0.55, 'the top bit is set for about half of them');
});
