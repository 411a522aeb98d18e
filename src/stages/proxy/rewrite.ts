/**
 * Compiles a `rewrite` template against the route's path pattern into a function of the
 * matched params. `:name` takes the value of that parameter; a trailing `*` takes the rest of
 * the path the route's wildcard matched. Without a template the normalised path passes through.
 */
export type PathBuilder = (path: string, params: readonly string[]) => string;

const passThrough: PathBuilder = (path) => path;

export function compileRewrite(pattern: string, template: string | null): PathBuilder {
  if (template === null) return passThrough;
  const names: string[] = [];
  for (const seg of pattern.split('/')) {
    if (seg.startsWith(':')) names.push(seg.slice(1));
    else if (seg === '*') names.push('*');
  }
  // Pieces alternate literal text and a param index: ['/v2/users/', 0, ''].
  const pieces: (string | number)[] = [];
  let literal = '';
  const segs = template.split('/');
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]!;
    if (i > 0) literal += '/';
    const name = seg.startsWith(':') ? seg.slice(1) : seg === '*' ? '*' : null;
    const at = name === null ? -1 : names.indexOf(name);
    if (at < 0) {
      literal += seg;
      continue;
    }
    pieces.push(literal, at);
    literal = '';
  }
  pieces.push(literal);
  if (pieces.length === 1) {
    const fixed = pieces[0] as string;
    return () => fixed;
  }
  return (_path, params) => {
    let out = '';
    for (let i = 0; i < pieces.length; i++) {
      const p = pieces[i]!;
      out += typeof p === 'string' ? p : params[p] ?? '';
    }
    // A `/*` whose wildcard matched nothing leaves a trailing '//' or '/'; keep it a single '/'.
    return out.length > 1 && out.endsWith('//') ? out.slice(0, -1) : out;
  };
}
