// cache/freshness.ts: what http-cache-semantics (a shared cache) says, turned into the numbers an
// entry holds; the route's settings where the upstream is silent.
import t from 'tap';
import { assessAnswer, notModifiedMatches, policyRequest, revalidationHeaders } from '../../dist/cache/freshness.js';
import { FLAG_AUTH_OK } from '../../dist/cache/entry-format.js';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const ROUTE = { ttl: 30_000, staleWhileRevalidate: 5_000, staleIfError: 600_000 };
const req = (headers: string[] = []) => policyRequest('/r', 'h.example', headers);
const assess = (headers: string[], opts: { status?: number; request?: string[]; route?: typeof ROUTE } = {}) =>
  assessAnswer(req(opts.request), opts.status ?? 200, headers, opts.route ?? ROUTE, NOW);

t.test('max-age, s-maxage, Expires and Age set the freshness', async (t) => {
  const a = assess(['cache-control', 'max-age=60']);
  t.ok(a.store);
  if (!a.store) return;
  t.equal(a.freshUntil, NOW + 60_000);
  t.equal(a.swrUntil, NOW + 65_000, "the route's stale-while-revalidate");
  t.equal(a.sieUntil, NOW + 660_000, "the route's stale-if-error");
  t.equal(a.flags, 0);
  const s = assess(['cache-control', 'max-age=0, s-maxage=120']);
  t.equal(s.store && s.freshUntil, NOW + 120_000);
  t.equal(s.store && s.flags, FLAG_AUTH_OK, 's-maxage allows answering requests with Authorization');
  const aged = assess(['cache-control', 'max-age=60', 'age', '45']);
  t.equal(aged.store && aged.freshUntil, NOW + 15_000);
  t.equal(aged.store && aged.initialAge, 45);
  const expires = assess(['expires', new Date(Date.now() + 90_000).toUTCString(), 'date', new Date().toUTCString()]);
  t.ok(expires.store && expires.freshUntil - NOW > 80_000 && expires.freshUntil - NOW <= 90_000, 'Expires, against Date');
});

t.test('what is never stored', async (t) => {
  t.same(assess(['cache-control', 'no-store, max-age=60']), { store: false, why: 'not-storable' });
  t.same(assess(['cache-control', 'private, max-age=60']), { store: false, why: 'not-storable' });
  t.same(assess(['cache-control', 'public, max-age=60', 'set-cookie', 'a=1']), { store: false, why: 'set-cookie' });
  t.same(assess(['cache-control', 'max-age=60', 'vary', 'Accept, *']), { store: false, why: 'vary-star' });
  t.same(assess(['cache-control', 'max-age=60'], { request: ['authorization', 'Bearer x'] }), { store: false, why: 'not-storable' });
  t.same(assess(['cache-control', 'max-age=60'], { status: 500 }), { store: false, why: 'not-storable' }, 'a 500 is not a status a cache understands');
  t.same(assess([], { route: { ...ROUTE, ttl: 0 } }), { store: false, why: 'no-freshness' }, 'silent upstream, no route ttl');
  t.same(assess(['cache-control', 'max-age=0']), { store: false, why: 'no-freshness' }, 'stale at once, nothing to revalidate with');
});

t.test('the route ttl fills in for a silent upstream; public and must-revalidate allow Authorization', async (t) => {
  const silent = assess(['content-type', 'text/plain']);
  t.equal(silent.store && silent.freshUntil, NOW + 30_000);
  const pub = assess(['cache-control', 'public, max-age=10'], { request: ['authorization', 'Bearer x'] });
  t.equal(pub.store && pub.flags, FLAG_AUTH_OK);
  const mr = assess(['cache-control', 'max-age=10, must-revalidate']);
  t.equal(mr.store && mr.flags, FLAG_AUTH_OK);
  t.equal(mr.store && mr.swrUntil, NOW + 10_000, 'must-revalidate: no stale serving from the route settings');
  t.equal(mr.store && mr.sieUntil, NOW + 10_000);
});

t.test("the upstream's stale-* directives win over the route's", async (t) => {
  const a = assess(['cache-control', 'max-age=10, stale-while-revalidate=20, stale-if-error=0']);
  t.equal(a.store && a.swrUntil, NOW + 30_000);
  t.equal(a.store && a.sieUntil, NOW + 10_000);
  const mr = assess(['cache-control', 'max-age=10, must-revalidate, stale-if-error=50']);
  t.equal(mr.store && mr.sieUntil, NOW + 60_000, 'an explicit stale-if-error still applies');
});

t.test('validators: a no-cache answer is kept to be revalidated; the conditional headers come from it', async (t) => {
  const a = assess(['cache-control', 'no-cache', 'etag', '"v7"', 'last-modified', 'Mon, 01 Jan 2024 00:00:00 GMT', 'vary', 'Accept-Language, accept']);
  t.ok(a.store);
  if (!a.store) return;
  t.equal(a.freshUntil, NOW, 'never fresh');
  t.ok(a.keepUntil > NOW + 3_600_000, 'kept for revalidation');
  t.equal(a.etag, '"v7"');
  t.equal(a.vary, 'accept,accept-language', 'lowercase, sorted, once each');
  t.same(revalidationHeaders(a.policy, req()), ['if-none-match', '"v7"', 'if-modified-since', 'Mon, 01 Jan 2024 00:00:00 GMT']);
  t.ok(notModifiedMatches(a.policy, req(), ['etag', '"v7"']), 'a 304 with the same ETag validates the entry');
  t.notOk(notModifiedMatches(a.policy, req(), ['etag', '"v8"']), 'another ETag does not');
});
