/**
 * Compiles an aggregate call's path template (`/orders?user=:userId`) against the route's match
 * path into a function of the matched params; the client's query string is appended (after the
 * template's own query, with `&`).
 */
export type CallPathBuilder = (params: readonly string[], query: string) => string;

const PARAM = /:([A-Za-z_][A-Za-z0-9_]*)/g;
const QUERY_SPECIAL = /[&=+#]/g;

export function compileCallPath(matchPath: string, template: string): CallPathBuilder {
  const names: string[] = [];
  for (const seg of matchPath.split('/')) {
    if (seg.startsWith(':')) names.push(seg.slice(1));
    else if (seg === '*') names.push('*');
  }
  // Pieces alternate literal text and a param index: ['/v2/users/', 0, ''].
  // A param in the query part is encoded as a query value (a segment's & or = would split it): -(index + 1).
  const pieces: (string | number)[] = [];
  const queryAt = template.indexOf('?');
  let last = 0;
  for (const m of template.matchAll(PARAM)) {
    const at = names.indexOf(m[1]!);
    pieces.push(template.slice(last, m.index), queryAt >= 0 && m.index > queryAt ? -(at + 1) : at);
    last = m.index + m[0].length;
  }
  pieces.push(template.slice(last));
  const joiner = template.includes('?') ? '&' : '?';
  return (params, query) => {
    let out = '';
    for (const p of pieces) {
      if (typeof p === 'string') out += p;
      else if (p >= 0) out += params[p] ?? '';
      else out += (params[-p - 1] ?? '').replace(QUERY_SPECIAL, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
    }
    return query === '' ? out : out + joiner + query;
  };
}
