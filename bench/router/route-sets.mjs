// Route sets and request lists shared by every benchmark case, built deterministically so each
// child process sees exactly the same data.
import { githubRoutes } from './github-routes.mjs';

/** 3,000 routes: 300 services x 10 shapes mixing static, params and a trailing wildcard. */
export function syntheticRoutes() {
  const routes = [];
  for (let i = 0; i < 300; i++) {
    const svc = `/svc${i}`;
    routes.push(
      ['GET', `${svc}/v1/items`],
      ['POST', `${svc}/v1/items`],
      ['GET', `${svc}/v1/items/:id`],
      ['GET', `${svc}/v1/items/:id/history`],
      ['GET', `${svc}/v2/items/:id`],
      ['PUT', `${svc}/v2/items/:id`],
      ['GET', `${svc}/v2/health`],
      ['GET', `${svc}/v2/users/:userId/items/:itemId`],
      ['GET', `${svc}/v2/search`],
      ['GET', `${svc}/static/*`],
    );
  }
  return routes;
}

export const ROUTE_SETS = {
  github: () => githubRoutes,
  'github+3000': () => [...githubRoutes, ...syntheticRoutes()],
};

const VALUES = ['julienschmidt', 'httprouter', '42', 'a1b2c3d4e5', 'main', 'octocat'];

/** A concrete request path for a route pattern: each `:param` gets a sample value. */
function fill(path, seed) {
  let n = seed;
  return path
    .split('/')
    .map((segment) => (segment.startsWith(':') ? VALUES[n++ % VALUES.length] : segment === '*' ? 'css/site.css' : segment))
    .join('/');
}

/** Request lists per case: [method, path] pairs, every one answered the same by both routers. */
export function requestsFor(setName, kind) {
  const routes = ROUTE_SETS[setName]();
  if (kind === 'static') {
    return routes.filter(([, path]) => !path.includes(':') && !path.includes('*'));
  }
  if (kind === 'params') {
    return routes.filter(([, path]) => path.includes(':') || path.includes('*')).map(([method, path], i) => [method, fill(path, i)]);
  }
  // misses: near misses of real routes (extra or wrong segments) and unknown prefixes
  const patterns = routes.map(([, pattern]) => pattern.split('/'));
  return routes.map(([method, path], i) => {
    const filled = fill(path, i).replace(/\/\*$/, '');
    return [method, i % 3 === 0 ? `${filled}/unknown/x` : i % 3 === 1 ? `/nope${filled}` : `${filled}zz/`];
  }).filter(([, path]) => {
    const got = path.split('/');
    return !patterns.some((want) => patternMatches(want, got));
  });
}

/** Plain segment-by-segment match, only used to keep true misses in the miss list. */
function patternMatches(want, got) {
  for (let i = 0; i < want.length; i++) {
    if (want[i] === '*') return true;
    if (i >= got.length) return false;
    if (want[i].startsWith(':') ? got[i] === '' : want[i] !== got[i]) return false;
  }
  return want.length === got.length;
}
