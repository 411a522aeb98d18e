import { isIP } from 'node:net';
import type { AddressMatcher } from './cidr.js';

/**
 * The client's address as far as the gateway can vouch for it: the peer's, unless the peer is one
 * of `trustedProxies`; then X-Forwarded-For is read from the right (each proxy appends the address
 * it saw) and the first address that is not a trusted proxy is the client. Entries left of it
 * were written by the client itself and are never believed. When an entry is not an IP address
 * (`unknown`, garbage), the trusted hop that passed it on is taken as the client, rather than a
 * string any client could vary at will; when every entry is trusted, the leftmost one.
 */
export function clientAddress(remote: string, headers: readonly string[], trusted: AddressMatcher): string {
  if (!trusted.has(remote)) return remote;
  let forwarded = '';
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i] !== 'x-forwarded-for') continue;
    forwarded = forwarded === '' ? headers[i + 1]! : forwarded + ',' + headers[i + 1]!;
  }
  let client = remote;
  let end = forwarded.length;
  while (end > 0) {
    const start = forwarded.lastIndexOf(',', end - 1) + 1;
    const entry = addressOf(forwarded.slice(start, end).trim());
    if (entry === null) return client;
    if (!trusted.has(entry)) return entry;
    client = entry;
    end = start - 1;
  }
  return client;
}

/** An X-Forwarded-For entry as a bare address (port and brackets removed, IPv4-mapped unwrapped), or null. */
function addressOf(entry: string): string | null {
  let address = entry;
  if (address.startsWith('[')) {
    const close = address.indexOf(']');
    if (close < 0) return null;
    address = address.slice(1, close);
  } else if (address.indexOf(':') === address.lastIndexOf(':') && address.includes(':')) {
    address = address.slice(0, address.indexOf(':')); // a.b.c.d:port
  }
  const kind = isIP(address);
  if (kind === 0) return null;
  if (kind === 4) return address;
  const lower = address.toLowerCase();
  return lower.startsWith('::ffff:') && isIP(lower.slice(7)) === 4 ? lower.slice(7) : lower;
}
