import { normalizePath } from './normalize-path.js';
import { rejectedPathReason } from './rejected-path-reason.js';

export type RouteSegment =
  | { kind: 'static'; text: string }
  | { kind: 'param'; name: string }
  | { kind: 'wildcard' };

export type RoutePathResult = { ok: true; segments: RouteSegment[] } | { ok: false; reason: string };

/**
 * The one check of a configured route path: the config loader runs it on every match.path (so
 * `validate`, start and reload refuse the same paths, with the file position) and the route
 * table is built from its segments. The static text goes through normalizePath, exactly like
 * request paths do, so `/caf%c3%a9`, `/café` and `/%7euser` name the same requests their
 * canonical forms do; a path normalizePath rejects could never match a request.
 * `/` is one empty static segment and `/a/` is `a` then an empty segment: trailing slashes count.
 */
export function checkRoutePath(path: string): RoutePathResult {
  const normal = normalizePath(path);
  if (normal === null) return { ok: false, reason: rejectedPathReason(path) };
  const parts = normal.slice(1).split('/');
  const segments: RouteSegment[] = [];
  for (const [i, part] of parts.entries()) {
    if (part === '*') {
      if (i !== parts.length - 1) return { ok: false, reason: "'*' is only allowed as the last segment" };
      segments.push({ kind: 'wildcard' });
    } else if (part.startsWith(':')) {
      if (part.length === 1) return { ok: false, reason: "a ':' parameter needs a name" };
      segments.push({ kind: 'param', name: part.slice(1) });
    } else {
      segments.push({ kind: 'static', text: part });
    }
  }
  return { ok: true, segments };
}

/** checkRoutePath's segments; throws an Error naming the problem for a path that cannot be a route. */
export function parseRoutePath(path: string): RouteSegment[] {
  const result = checkRoutePath(path);
  if (!result.ok) throw new Error(`route path ${JSON.stringify(path)} is not a valid path: ${result.reason}`);
  return result.segments;
}

/** Names of the values RouteTable.lookup puts in `params`, in order ('*' for the wildcard). */
export function routeParamNames(path: string): string[] {
  const names: string[] = [];
  for (const segment of parseRoutePath(path)) {
    if (segment.kind === 'param') names.push(segment.name);
    else if (segment.kind === 'wildcard') names.push('*');
  }
  return names;
}
