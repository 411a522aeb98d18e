// Address checks used by the schema: hosts to listen on or match, and trusted-proxy CIDRs.
import { isIP } from 'node:net';

const HOSTNAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

export function isHostname(value: string): boolean {
  return HOSTNAME.test(value);
}

/** A name or IP literal to bind a listener to ('0.0.0.0', '::', 'localhost', '10.0.0.5'). */
export function isBindHost(value: string): boolean {
  return isIP(value) !== 0 || isHostname(value);
}

/** A Host header value without its port: a name, an IPv4 literal or a bracketed IPv6 literal. */
export function isMatchHost(value: string): boolean {
  if (value.startsWith('[') && value.endsWith(']')) return isIP(value.slice(1, -1)) === 6;
  return isIP(value) === 4 || isHostname(value);
}

/** An IP address or CIDR block; host bits may be set (127.0.0.1/8 reads as 127.0.0.0/8). */
export function isAddressOrCidr(value: string): boolean {
  const slash = value.indexOf('/');
  if (slash === -1) return isIP(value) !== 0;
  const family = isIP(value.slice(0, slash));
  const prefix = value.slice(slash + 1);
  if (family === 0 || !/^[0-9]{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

export function isLoopbackHost(value: string): boolean {
  const host = value.toLowerCase();
  if (host === 'localhost' || host === '::1' || host === '[::1]') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}
