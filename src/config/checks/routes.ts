// Rules that span fields or routes: upstream references, unique ids, rewrite parameters,
// upstream-or-respond, and routes that would match exactly the same requests.
import type { Problem } from '../errors.js';
import { parseMatchPath, parsePathPattern, pathShape } from '../path-pattern.js';
import { checkAggregate } from './aggregate.js';
import { checkTransform } from './transform.js';
import { asList, asMap, asString, type RawMap } from './raw.js';

interface RouteKey {
  index: number;
  id: string;
  shape: string;
  host: string | null;
  methods: string[] | null;
}

export function checkRoutes(raw: unknown): Problem[] {
  const root = asMap(raw);
  const upstreams = asMap(root?.['upstreams']) ?? {};
  const problems: Problem[] = [];
  const firstIndexById = new Map<string, number>();
  const keys: RouteKey[] = [];
  asList(root?.['routes']).forEach((value, index) => {
    const route = asMap(value);
    if (!route) return;
    problems.push(...checkTarget(route, index, upstreams), ...checkRewrite(route, index), ...checkTransform(route, index));
    const id = asString(route['id']);
    if (id !== null) {
      const first = firstIndexById.get(id);
      if (first === undefined) firstIndexById.set(id, index);
      else problems.push({ path: ['routes', index, 'id'], at: 'value', message: `duplicate route id "${id}" (first used by routes.${first})` });
    }
    const key = routeKey(route, index);
    if (key) problems.push(...checkConflict(key, keys));
  });
  return problems;
}

function checkTarget(route: RawMap, index: number, upstreams: RawMap): Problem[] {
  const at = (key: string, message: string): Problem => ({ path: ['routes', index, key], at: 'value', message });
  const hasUpstream = route['upstream'] !== undefined;
  const hasRespond = route['respond'] !== undefined;
  // An aggregate route's own rules are in ./aggregate.ts.
  if (route['aggregate'] !== undefined) return checkAggregate(route, index, upstreams);
  if (!hasUpstream && !hasRespond) {
    return [{ path: ['routes', index], at: 'value', message: 'a route needs "upstream", "respond" or "aggregate"' }];
  }
  if (hasUpstream && hasRespond) return [at('respond', 'a route has either "upstream" or "respond", not both')];
  const problems: Problem[] = [];
  const upstream = asString(route['upstream']);
  if (upstream !== null && !Object.hasOwn(upstreams, upstream)) problems.push(at('upstream', `upstream "${upstream}" is not defined in "upstreams"`));
  if (hasRespond) {
    for (const key of ['rewrite', 'timeout']) {
      if (route[key] !== undefined) problems.push(at(key, `"${key}" applies only to routes with an "upstream"`));
    }
    const respond = asMap(route['respond']);
    if (respond && respond['json'] !== undefined && respond['body'] !== undefined) {
      problems.push({ path: ['routes', index, 'respond', 'body'], at: 'key', message: 'use either "json" or "body", not both' });
    }
  }
  return problems;
}

function checkRewrite(route: RawMap, index: number): Problem[] {
  const rewrite = asString(route['rewrite']);
  const path = asString(asMap(route['match'])?.['path']);
  if (rewrite === null || path === null) return [];
  const template = parsePathPattern(rewrite);
  const pattern = parseMatchPath(path);
  if (!template.ok || !pattern.ok) return [];
  const at = ['routes', index, 'rewrite'];
  const problems: Problem[] = [];
  for (const param of template.params) {
    if (!pattern.params.includes(param)) problems.push({ path: at, at: 'value', message: `rewrite uses ":${param}", which match.path ${path} does not define` });
  }
  if (template.wildcard && !pattern.wildcard) problems.push({ path: at, at: 'value', message: `rewrite uses "*", but match.path ${path} does not end with "*"` });
  return problems;
}

function routeKey(route: RawMap, index: number): RouteKey | null {
  const match = asMap(route['match']);
  const path = asString(match?.['path']);
  const parsed = path === null ? null : parseMatchPath(path);
  if (!match || !parsed?.ok) return null;
  const methods = Array.isArray(match['methods']) ? match['methods'].filter((m) => typeof m === 'string').map((m) => m.toUpperCase()) : null;
  const host = asString(match['host'])?.toLowerCase() ?? null;
  return { index, id: asString(route['id']) ?? `#${index}`, shape: pathShape(parsed.segments, parsed.trailingSlash), host, methods };
}

/** Records `key` and reports the first earlier route matching the same requests. */
function checkConflict(key: RouteKey, earlier: RouteKey[]): Problem[] {
  const clash = earlier.find((other) => other.shape === key.shape && other.host === key.host && sharedMethods(other, key) !== null);
  earlier.push(key);
  if (!clash) return [];
  const methods = sharedMethods(clash, key);
  const which = methods === null || methods.length === 0 ? 'any method' : methods.join(', ');
  return [{ path: ['routes', key.index, 'match', 'path'], at: 'value', message: `conflicts with route "${clash.id}" (routes.${clash.index}): same host, path shape ${key.shape} and method ${which}` }];
}

/** The methods both routes accept; [] stands for "any method", null for none. */
function sharedMethods(a: RouteKey, b: RouteKey): string[] | null {
  if (a.methods === null) return b.methods ?? [];
  if (b.methods === null) return a.methods;
  const shared = a.methods.filter((m) => b.methods?.includes(m));
  return shared.length > 0 ? shared : null;
}
