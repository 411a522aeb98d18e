// Aggregate routes: no upstream/respond beside the calls, each call names a defined upstream,
// uses only the match path's :params, and has its own `as`.
import type { Problem } from '../errors.js';
import { parseMatchPath } from '../path-pattern.js';
import { asList, asMap, asString, type RawMap } from './raw.js';

const PARAM = /:([A-Za-z_][A-Za-z0-9_]*)/g;

export function checkAggregate(route: RawMap, index: number, upstreams: RawMap): Problem[] {
  if (route['aggregate'] === undefined) return [];
  const problems: Problem[] = [];
  for (const key of ['upstream', 'respond', 'rewrite']) {
    if (route[key] !== undefined) problems.push({ path: ['routes', index, key], at: 'key', message: `an "aggregate" route has no "${key}": its calls name their upstreams and paths` });
  }
  const matchPath = asString(asMap(route['match'])?.['path']);
  const parsed = matchPath === null ? null : parseMatchPath(matchPath);
  const params = parsed?.ok === true ? parsed.params : null;
  const seen = new Map<string, number>();
  asList(route['aggregate']).forEach((value, i) => {
    const call = asMap(value);
    if (call === null) return;
    const at = (key: string): (string | number)[] => ['routes', index, 'aggregate', i, key];
    const upstream = asString(call['upstream']);
    if (upstream !== null && !Object.hasOwn(upstreams, upstream)) problems.push({ path: at('upstream'), at: 'value', message: `upstream "${upstream}" is not defined in "upstreams"` });
    const path = asString(call['path']);
    if (path !== null && params !== null) {
      for (const m of path.matchAll(PARAM)) {
        if (!params.includes(m[1]!)) problems.push({ path: at('path'), at: 'value', message: `path uses ":${m[1]}", which match.path ${matchPath} does not define` });
      }
    }
    const as = asString(call['as']);
    if (as !== null) {
      const first = seen.get(as);
      if (first === undefined) seen.set(as, i);
      else problems.push({ path: at('as'), at: 'value', message: `duplicate "as": "${as}" (first used by aggregate.${first})` });
    }
  });
  return problems;
}
