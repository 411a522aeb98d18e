// SPEC §4: without a token, the admin API answers only requests addressed to a loopback name.
// A web page that rebinds its own name to 127.0.0.1 (DNS rebinding) can make the browser send
// requests to the admin port, but the browser still writes the page's name in Host; that name
// is what gives it away. The port in Host does not matter: the rebinding page can use any.
// An HTTP/1.1 request without Host never gets this far: Node's parser answers it 400 (RFC 9112
// §3.2); an HTTP/1.0 one arrives with no Host and is refused like a foreign name.
import { isIP } from 'node:net';

const OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const IPV4_LOOPBACK = new RegExp(`^127(\\.${OCTET}){3}$`);
/** `name`, `name:port`, `[v6]` or `[v6]:port`; anything else (userinfo, a path, two colons) is not a Host. */
const HOST_HEADER = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::[0-9]{1,5})?$/;

/**
 * True when `host` (the Host header, absent for an HTTP/1.0 request without one) names this
 * machine's loopback: `localhost`, `127.x.x.x`, `[::1]`, or the admin listener's own configured
 * address `listenHost`, each with or without a port.
 */
export function isLoopbackHostHeader(host: string | undefined, listenHost: string): boolean {
  const name = host === undefined ? undefined : HOST_HEADER.exec(host.toLowerCase())?.[1];
  if (name === undefined) return false;
  return name === 'localhost' || name === '[::1]' || IPV4_LOOPBACK.test(name) || name === asHostName(listenHost);
}

function asHostName(address: string): string {
  const lower = address.toLowerCase();
  return isIP(lower) === 6 ? `[${lower}]` : lower;
}
