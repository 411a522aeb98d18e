// The requests every contender is measured with, and what the upstream answers to them.
import { BENCH_AUTH_HEADERS } from '../../bench/jwt-bench-key.mjs';

/** About 100 bytes of JSON, answered by the upstream nginx with `return 200`. */
export const SMALL_JSON = JSON.stringify({
  service: 'upstream',
  message: 'a small answer from nginx',
  ok: true,
  items: [1, 2, 3, 4, 5, 6, 7, 8],
});

export const LARGE_BODY_BYTES = 64 * 1024;
export const POST_BODY_BYTES = 4 * 1024;

export const SCENARIOS = [
  { id: 'small', title: '~100 B JSON answer', method: 'GET', path: '/small', expectBytes: Buffer.byteLength(SMALL_JSON) },
  { id: '64k', title: '64 KiB answer (a static file)', method: 'GET', path: '/64k', expectBytes: LARGE_BODY_BYTES },
  { id: 'post4k', title: '4 KiB request body, ~100 B JSON answer', method: 'POST', path: '/echo', bodyBytes: POST_BODY_BYTES, expectBytes: Buffer.byteLength(SMALL_JSON) },
  // The same answers on paths that Tollgate's config caches (gateway-config.mjs): a cache hit
  // for Tollgate, plain proxying of the same path for every other contender. Against `small` and
  // `64k`, Tollgate's rows compare a hit with the same route uncached.
  { id: 'cached-small', title: '~100 B JSON answer; a cache hit on Tollgate, proxied by the others', method: 'GET', path: '/cached/small', expectBytes: Buffer.byteLength(SMALL_JSON) },
  { id: 'cached-64k', title: '64 KiB answer; a cache hit on Tollgate, proxied by the others', method: 'GET', path: '/cached/64k', expectBytes: LARGE_BODY_BYTES },
  // Tollgate only (the others have no JWT or limiter configured): the small route behind a JWT
  // (RS256, one repeated token: bench/jwt-bench-key.mjs) and a rate limit by consumer that is
  // never reached. `plain` names the scenario it is compared with (SPEC §7: at least 0.9x).
  {
    id: 'auth', title: '~100 B JSON answer through JWT (RS256, a repeated token) + a rate limit never reached', method: 'GET', path: '/auth/small',
    headers: BENCH_AUTH_HEADERS, expectBytes: Buffer.byteLength(SMALL_JSON), tollgateOnly: true, plain: 'small',
  },
];

/** A contender's scenarios: Tollgate-only ones on Tollgate, none its build `lacks` (an old --baseline). */
export const scenariosFor = (contender, scenarios) =>
  scenarios.filter((s) => (!s.tollgateOnly || contender.kind === 'tollgate') && !(contender.lacks?.has(s.id) ?? false));

export function pickScenarios(ids) {
  if (!ids) return SCENARIOS;
  return ids.map((id) => {
    const scenario = SCENARIOS.find((s) => s.id === id);
    if (!scenario) throw new Error(`unknown scenario "${id}" (known: ${SCENARIOS.map((s) => s.id).join(', ')})`);
    return scenario;
  });
}
