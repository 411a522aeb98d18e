// Cache keys (SPEC §3): method, host, normalised path, sorted query, and the values of the request
// headers the answer varies on. The path comes first so that a purge by path prefix is one range
// of keys: `PATH[?QUERY] NUL HOST NUL GET [NUL VALUE...]`. Only GET answers are stored (HEAD is
// answered from them), so the method part is always GET.
const SEP = '\u0000';

/**
 * LMDB keys are at most 1978 bytes (lmdb-js's default for 4 KiB pages); a longer one is not
 * cached (X-Cache: BYPASS). Paths are ASCII after normalisation; a host or header value may not be.
 */
const MAX_KEY_BYTES = 1900;

/** The query with its parameters sorted by name (stable: repeated names keep their order). */
export function sortedQuery(query: string): string {
  if (query === '' || query.indexOf('&') < 0) return query;
  const params = query.split('&').filter((p) => p !== '');
  params.sort((a, b) => {
    const an = nameOf(a);
    const bn = nameOf(b);
    return an < bn ? -1 : an > bn ? 1 : 0;
  });
  return params.join('&');
}

function nameOf(param: string): string {
  const eq = param.indexOf('=');
  return eq < 0 ? param : param.slice(0, eq);
}

/** PATH[?SORTED_QUERY]: what a purge by key names, and what every variant's key starts with. */
export function resourceKey(path: string, query: string): string {
  return query === '' ? path : path + '?' + sortedQuery(query);
}

/** The key of a GET answer for this resource and host (a VARY marker lives here when it varies). */
export function primaryKey(resource: string, host: string): string {
  return resource + SEP + host + SEP + 'GET';
}

/**
 * primaryKey(resourceKey(path, query), host) of the last request asked, kept for the next: when a
 * route's requests repeat one resource (a hot key), the key is not built again, and the kept
 * string's hash V8 has already computed (the lookup that follows is a Map lookup by it). Another
 * resource costs three string comparisons more than without it. One per route per worker.
 */
export class PrimaryKeyMemo {
  private path = '';
  private query = '';
  private host = '';
  private key = '';

  get(path: string, query: string, host: string): string {
    if (path === this.path && query === this.query && host === this.host && this.key !== '') return this.key;
    const key = primaryKey(resourceKey(path, query), host);
    this.path = path;
    this.query = query;
    this.host = host;
    this.key = key;
    return key;
  }
}

/** The start shared by every key of a resource (all hosts, all variants); with a host, that host's. */
export function resourcePrefix(resource: string, host: string | null): string {
  return host === null ? resource + SEP : resource + SEP + host + SEP;
}

/**
 * The key of one variant: the primary key and, per name in `vary` (lowercase, comma-separated),
 * the request's values of that header joined with ", " (absent and empty are the same).
 */
export function variantKey(primary: string, vary: string, headers: readonly string[]): string {
  let key = primary;
  for (const name of vary.split(',')) {
    let value = '';
    for (let i = 0; i < headers.length; i += 2) {
      if (headers[i] === name) value = value === '' ? headers[i + 1]! : value + ', ' + headers[i + 1]!;
    }
    key += SEP + value;
  }
  return key;
}

export function keyFits(key: string): boolean {
  return key.length <= MAX_KEY_BYTES / 3 || Buffer.byteLength(key) <= MAX_KEY_BYTES;
}

/** FNV-1a over the UTF-16 code units: the claim and access-clock slots of a key. */
export function keyHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
