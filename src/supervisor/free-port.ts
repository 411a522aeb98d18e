import net from 'node:net';

/**
 * Port 0 asks for an ephemeral port, but every worker must bind the same one (SO_REUSEPORT) and
 * uWS only shares a port it was given explicitly: pick one free port for all of them.
 */
export function findFreePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr !== null ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}
