import { normalizePath } from './normalize-path.js';

export type RouteSegment =
  | { kind: 'static'; text: string }
  | { kind: 'param'; name: string }
  | { kind: 'wildcard' };

/**
 * Splits a configured route path into segments. The static text goes through normalizePath,
 * exactly like request paths do, so `/caf%c3%a9`, `/café` and `/%7euser` name the same requests
 * their canonical forms do. Throws an Error naming the problem for a path that cannot be a route.
 * `/` is one empty static segment and `/a/` is `a` then an empty segment: trailing slashes count.
 */
export function parseRoutePath(path: string): RouteSegment[] {
  const normal = normalizePath(path);
  if (normal === null) throw new Error(`route path ${JSON.stringify(path)} is not a valid path`);
  const parts = normal.slice(1).split('/');
  return parts.map((part, i): RouteSegment => {
    if (part === '*') {
      if (i !== parts.length - 1) {
        throw new Error(`route path ${JSON.stringify(path)}: '*' is only allowed as the last segment`);
      }
      return { kind: 'wildcard' };
    }
    if (part.startsWith(':')) {
      if (part.length === 1) {
        throw new Error(`route path ${JSON.stringify(path)}: a ':' parameter needs a name`);
      }
      return { kind: 'param', name: part.slice(1) };
    }
    return { kind: 'static', text: part };
  });
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
