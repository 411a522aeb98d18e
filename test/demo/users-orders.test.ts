import t from 'tap';
import { call, startDemo } from './fixtures/demo-fixture.js';

t.test('users: list, lookup by numeric id on /users/:id and /v2/users/:id', async (t) => {
  const demo = await startDemo(t);
  const list = (await call(demo, 'users', '/users')).json();
  t.equal(list.users.length, 3);
  t.same(list.users[0], { id: 1, name: 'Ada Lovelace', email: 'ada@example.com' });
  for (const path of ['/users/2', '/v2/users/2']) {
    const res = await call(demo, 'users', path);
    t.equal(res.status, 200);
    t.same(res.json(), { id: 2, name: 'Alan Turing', email: 'alan@example.com' });
  }
  t.same((await call(demo, 'users', '/v2/users/42')).json(), { id: 42, name: 'User 42', email: 'user42@example.com' });
  const missing = await call(demo, 'users', '/users/abc');
  t.equal(missing.status, 404);
  t.equal(missing.headers['content-type'], 'application/problem+json');
  t.equal((await call(demo, 'users', '/v2/users/-1')).status, 404);
});

t.test('users: POST /users answers 201 with the body and a new id', async (t) => {
  const demo = await startDemo(t);
  const first = await call(demo, 'users', '/users', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Edsger', email: 'e@example.com' }),
  });
  t.equal(first.status, 201);
  const created = first.json();
  t.equal(created.name, 'Edsger');
  t.equal(created.email, 'e@example.com');
  t.type(created.id, 'number');
  const second = (await call(demo, 'users', '/users', { method: 'POST', body: '{"name":"B"}' })).json();
  t.not(second.id, created.id, 'ids are not reused');
  t.equal((await call(demo, 'users', '/users', { method: 'POST', body: 'not json' })).status, 400);
  t.equal((await call(demo, 'users', '/users', { method: 'POST', body: '[1,2]' })).status, 400);
  const tooBig = Buffer.from(JSON.stringify({ pad: 'x'.repeat(1024 * 1024) }));
  t.equal((await call(demo, 'users', '/users', { method: 'POST', body: tooBig })).status, 413);
});

t.test('orders: by user and by id', async (t) => {
  const demo = await startDemo(t);
  const mine = await call(demo, 'orders', '/orders?user=7');
  t.equal(mine.status, 200);
  const body = mine.json();
  t.equal(body.user, 7);
  t.ok(body.items.length > 0);
  t.ok(body.items.every((o: { user: number }) => o.user === 7), 'every order belongs to user 7');
  const order = (await call(demo, 'orders', `/orders/${body.items[0].id}`)).json();
  t.same(order, body.items[0], 'an order looked up by id matches the listed one');
  const all = (await call(demo, 'orders', '/orders')).json();
  t.equal(all.user, null);
  t.ok(all.items.length > body.items.length);
  t.equal((await call(demo, 'orders', '/orders?user=abc')).status, 400);
  t.equal((await call(demo, 'orders', '/orders/abc')).status, 404);
});
