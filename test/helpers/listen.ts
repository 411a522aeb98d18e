import type net from 'node:net';

/** Listens on an ephemeral port on 127.0.0.1; resolves with the port. */
export function listenOnLoopback(server: net.Server): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
  });
}
