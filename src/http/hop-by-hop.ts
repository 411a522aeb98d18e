// RFC 9110 §7.6.1: connection-specific fields, never forwarded in either direction.
// `expect` is answered by uWS itself and `host` is set per upstream target.
const HOP_BY_HOP = new Set([
  'connection', 'proxy-connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade',
]);

export function isHopByHop(lowerName: string): boolean {
  return HOP_BY_HOP.has(lowerName);
}

/**
 * False when a Connection header value lists no names beyond close and keep-alive (what nearly
 * every peer sends): no set to build and nothing to drop for it.
 */
export function listsNames(value: string): boolean {
  const v = value.length === 10 || value.length === 5 ? value.toLowerCase() : value;
  return v !== 'keep-alive' && v !== 'close';
}

/** Extra names listed in a Connection header value ("close, x-foo" -> ["x-foo"]). */
export function connectionListed(value: string, into: Set<string>): void {
  for (const part of value.split(',')) {
    const name = part.trim().toLowerCase();
    if (name && name !== 'close' && name !== 'keep-alive') into.add(name);
  }
}
