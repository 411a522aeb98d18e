import { BlockList, isIPv4, isIPv6 } from 'node:net';

/** Matches client addresses against `trustedProxies` (addresses or CIDRs, v4 and v6). */
export interface AddressMatcher {
  readonly empty: boolean;
  has(address: string): boolean;
}

export function createAddressMatcher(entries: readonly string[]): AddressMatcher {
  const list = new BlockList();
  for (const entry of entries) {
    const [addr = '', bits] = entry.split('/');
    const type = isIPv6(addr) ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(addr, type);
    else list.addSubnet(addr, Number(bits), type);
  }
  const empty = entries.length === 0;
  return {
    empty,
    has(address: string): boolean {
      if (empty) return false;
      if (isIPv4(address)) return list.check(address, 'ipv4');
      if (isIPv6(address)) {
        // uWS reports IPv4 clients of a dual-stack socket as ::ffff:a.b.c.d.
        if (address.startsWith('::ffff:') && isIPv4(address.slice(7))) return list.check(address.slice(7), 'ipv4');
        return list.check(address, 'ipv6');
      }
      return false;
    },
  };
}
