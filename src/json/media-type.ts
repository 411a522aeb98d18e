// Which Content-Type values name JSON. Translation takes application/json only (problem+json and
// other +json types keep their own type); body transforms take the whole JSON family.

/** application/json itself, with any parameters. */
export function isJsonType(value: string): boolean {
  const v = value.trimStart().toLowerCase();
  return v.startsWith('application/json') && endsMediaType(v, 16);
}

/** application/json or a structured-syntax `+json` type (RFC 6839), e.g. application/vnd.api+json. */
export function isJsonFamilyType(value: string): boolean {
  const v = value.trimStart().toLowerCase();
  if (isJsonType(v)) return true;
  const end = mediaTypeEnd(v);
  return v.startsWith('application/') && v.endsWith('+json', end) && end > 17;
}

function endsMediaType(v: string, at: number): boolean {
  return v.length === at || v[at] === ';' || v[at] === ' ';
}

function mediaTypeEnd(v: string): number {
  const semi = v.indexOf(';');
  return (semi < 0 ? v : v.slice(0, semi)).trimEnd().length;
}
