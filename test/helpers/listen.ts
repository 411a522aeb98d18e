import type net from 'node:net';
import type http from 'node:http';

/** Listens on an ephemeral port on 127.0.0.1; resolves with the port. */
export function listenOnLoopback(server: net.Server): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
  });
}

/**
 * An HTTP server of the test on an ephemeral loopback port, closed (its connections cut first) when
 * the test ends; resolves with the port.
 */
export async function serveOnLoopback(t: { teardown(fn: () => Promise<void>): void }, server: http.Server): Promise<number> {
  const port = await listenOnLoopback(server);
  t.teardown(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
  return port;
}
