import net from 'node:net';

/** A port with nothing listening on it (for "connection refused" upstreams). */
export function findFreePortForTest(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}
