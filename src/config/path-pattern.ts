// The route path syntax, shared by match.path and rewrite: static segments, `:name`
// parameters and one trailing `*`. Request paths are normalised before matching, so a
// pattern with an empty, `.` or `..` segment could never match and is refused.
import { checkRoutePath } from '../routing/parse-route-path.js';

export type PathSegment =
  | { kind: 'static'; value: string }
  | { kind: 'param'; name: string }
  | { kind: 'wildcard' };

export type PathPatternResult =
  | { ok: true; segments: PathSegment[]; params: string[]; wildcard: boolean; trailingSlash: boolean }
  | { ok: false; message: string };

const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const STATIC_SEGMENT = /^(?:[A-Za-z0-9\-._~!$&'()+,;=@:]|%[0-9A-Fa-f]{2})+$/;

export function parsePathPattern(pattern: string): PathPatternResult {
  if (!pattern.startsWith('/')) return fail(`must start with "/"`);
  if (/[?#]/.test(pattern)) return fail('must not contain a query string or fragment');
  if (pattern === '/') return { ok: true, segments: [], params: [], wildcard: false, trailingSlash: false };
  const parts = pattern.slice(1).split('/');
  const segments: PathSegment[] = [];
  for (const [index, part] of parts.entries()) {
    const last = index === parts.length - 1;
    const segment = parseSegment(part, last);
    if (typeof segment === 'string') return fail(segment);
    if (segment) segments.push(segment);
  }
  const params = segments.flatMap((s) => (s.kind === 'param' ? [s.name] : []));
  const duplicate = params.find((name, i) => params.indexOf(name) !== i);
  if (duplicate !== undefined) return fail(`parameter ":${duplicate}" appears more than once`);
  const wildcard = segments.at(-1)?.kind === 'wildcard';
  return { ok: true, segments, params, wildcard, trailingSlash: parts.at(-1) === '' };
}

/**
 * A match.path: the syntax above, then the route table's own check (checkRoutePath, which start
 * runs too), so what validate accepts start accepts. Static values come back normalised, as the
 * route table holds them: `/%61` and `/a` have one shape and conflict.
 */
export function parseMatchPath(pattern: string): PathPatternResult {
  const syntax = parsePathPattern(pattern);
  if (!syntax.ok) return syntax;
  const route = checkRoutePath(pattern);
  if (!route.ok) return fail(route.reason);
  // Normalising neither adds nor drops segments once the syntax holds (no `//`, no dot-segment).
  const segments = syntax.segments.map((segment, i): PathSegment => {
    const normal = route.segments[i];
    return segment.kind === 'static' && normal?.kind === 'static' ? { kind: 'static', value: normal.text } : segment;
  });
  return { ...syntax, segments };
}

/** Returns the segment, null for an allowed trailing slash, or an error message. */
function parseSegment(part: string, last: boolean): PathSegment | null | string {
  if (part === '') return last ? null : 'must not contain an empty segment ("//")';
  if (part === '.' || part === '..') return `must not contain a "${part}" segment`;
  if (part === '*') return last ? { kind: 'wildcard' } : '"*" is only allowed as the last segment';
  if (part.includes('*')) return '"*" must be a whole segment, e.g. /static/*';
  if (part.startsWith(':')) {
    const name = part.slice(1);
    return PARAM_NAME.test(name) ? { kind: 'param', name } : `invalid parameter name ":${name}" (use letters, digits and _)`;
  }
  return STATIC_SEGMENT.test(part) ? { kind: 'static', value: part } : `invalid characters in segment "${part}"`;
}

/** Two patterns with the same shape match exactly the same request paths. */
export function pathShape(segments: PathSegment[], trailingSlash: boolean): string {
  const parts = segments.map((s) => (s.kind === 'static' ? `/${s.value}` : s.kind === 'param' ? '/:' : '/*'));
  return parts.join('') + (trailingSlash || parts.length === 0 ? '/' : '');
}

function fail(message: string): PathPatternResult {
  return { ok: false, message };
}
