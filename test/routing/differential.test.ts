// A table built from 3,000 generated routes must answer exactly what a naive reference matcher,
// written from the matching rules alone, answers for a few thousand generated requests.
import t from 'tap';
import { buildRouteTable } from '../../dist/routing/build-route-table.js';
import { normalizePath } from '../../dist/routing/normalize-path.js';
import type { RouteSpec } from '../../dist/routing/route-spec.js';
import { METHOD_NOT_ALLOWED, NOT_FOUND, RouteTable } from '../../dist/routing/route-table.js';

/** mulberry32: small seeded PRNG, so a failure reproduces. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = Array.from({ length: 30 }, (_, i) => `s${i}`);
const WORDS = ['a', 'b', 'c', 'users', 'items', 'v1', 'x%20y', '~t', 'A', 'caf%C3%A9'];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'];
const HOSTS = ['a.test', 'b.test'];

function generateRoutes(rand: () => number, count: number): RouteSpec[] {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
  const specs: RouteSpec[] = [];
  for (let i = 0; i < count; i++) {
    const depth = 1 + Math.floor(rand() * 5);
    const segments: string[] = [];
    for (let d = 0; d < depth; d++) {
      const r = rand();
      if (d === 0 && r >= 0.005) segments.push(pick(FIRST));
      else if (d === depth - 1 && d >= 2 && r < 0.1) segments.push('*');
      else if (d === depth - 1 && r < 0.16) segments.push(''); // trailing slash
      else if (r < 0.3) segments.push(`:p${d}`);
      else segments.push(pick(WORDS));
    }
    const methods = rand() < 0.05 ? null : METHODS.filter(() => rand() < 0.35);
    specs.push({
      path: '/' + segments.join('/'),
      methods: methods !== null && methods.length === 0 ? ['GET'] : methods,
      host: rand() < 0.25 ? pick(HOSTS) : null,
    });
  }
  return specs;
}

function generatePath(rand: () => number): string {
  const depth = Math.floor(rand() * 7);
  const segments: string[] = [];
  for (let d = 0; d < depth; d++) {
    const words = d === 0 ? FIRST : WORDS;
    segments.push(rand() < 0.8 ? words[Math.floor(rand() * words.length)]! : `v${d}z`);
  }
  if (depth === 0 || rand() < 0.15) segments.push('');
  return '/' + segments.join('/');
}

interface Candidate { index: number; rank: number[]; params: string[] }

/** Rank key: host group, then per level end < static < param < wildcard, then spec order. */
function naiveMatch(spec: RouteSpec, index: number, host: string, path: string): Candidate | null {
  const group = spec.host === null ? 1 : spec.host === host && host !== '' ? 0 : -1;
  if (group < 0) return null;
  const want = spec.path.slice(1).split('/');
  const got = path.slice(1).split('/');
  const rank = [group];
  const params: string[] = [];
  for (let i = 0; i < want.length; i++) {
    const w = want[i] as string;
    if (w === '*') {
      params.push(got.slice(i).join('/'));
      return { index, rank: [...rank, 3, index], params };
    }
    if (i >= got.length) return null;
    if (w.startsWith(':')) {
      if (got[i] === '') return null;
      params.push(got[i] as string);
      rank.push(2);
    } else {
      if (w !== got[i]) return null;
      rank.push(1);
    }
  }
  if (want.length !== got.length) return null;
  return { index, rank: [...rank, 0, index], params };
}

function compareRanks(a: Candidate, b: Candidate): number {
  for (let i = 0; i < Math.min(a.rank.length, b.rank.length); i++) {
    if (a.rank[i] !== b.rank[i]) return (a.rank[i] as number) - (b.rank[i] as number);
  }
  return a.rank.length - b.rank.length;
}

function reference(specs: readonly RouteSpec[], method: string, host: string, path: string) {
  const candidates = specs
    .map((spec, i) => naiveMatch(spec, i, host, path))
    .filter((c): c is Candidate => c !== null)
    .sort(compareRanks);
  const winner = candidates.find((c) => {
    const methods = (specs[c.index] as RouteSpec).methods;
    return methods === null || methods.includes(method);
  });
  const allowed = [...new Set(candidates.flatMap((c) => (specs[c.index] as RouteSpec).methods ?? []))].sort();
  if (winner !== undefined) return { route: winner.index, params: winner.params, allowed };
  return { route: candidates.length > 0 ? METHOD_NOT_ALLOWED : NOT_FOUND, params: [], allowed };
}

t.test('3,000 generated routes answer like the naive reference matcher', async (t) => {
  const rand = prng(0x7011ea7e);
  const specs = generateRoutes(rand, 3000);
  const table = new RouteTable(buildRouteTable(specs));
  t.equal(table.routeCount, 3000);
  const seen = { hit: 0, notFound: 0, notAllowed: 0, withWildcard: 0 };
  let mismatches = 0;
  const notNormal: string[] = [];
  for (let i = 0; i < 3000 && mismatches < 10; i++) {
    const path = generatePath(rand);
    const method = METHODS[Math.floor(rand() * METHODS.length)] as string;
    const host = ['', 'a.test', 'b.test', 'c.test'][Math.floor(rand() * 4)] as string;
    if (normalizePath(path) !== path) notNormal.push(path);
    const params: string[] = [];
    const got = { route: table.lookup(method, host, path, params), params: [...params], allowed: table.allowedMethods(host, path) };
    const want = reference(specs, method, host, path);
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      mismatches++;
      t.same(got, want, `${method} ${host} ${path}`);
    }
    if (want.route >= 0) seen.hit++;
    if (want.route >= 0 && (specs[want.route] as RouteSpec).path.endsWith('*')) seen.withWildcard++;
    if (want.route === NOT_FOUND) seen.notFound++;
    if (want.route === METHOD_NOT_ALLOWED) seen.notAllowed++;
  }
  t.equal(mismatches, 0, 'no request answered differently');
  t.same(notNormal, [], 'generated paths are already normal, as lookup requires');
  // The generator must exercise every outcome, or the comparison proves little.
  t.ok(seen.hit > 300 && seen.notFound > 300 && seen.notAllowed > 100 && seen.withWildcard > 50, JSON.stringify(seen));
});
