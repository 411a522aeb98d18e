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

/**
 * Workers bind with SO_REUSEPORT, so a second gateway started by mistake on a busy port would
 * silently share its traffic. A probe bind without SO_REUSEPORT fails on any port already held,
 * by anyone: refuse to start then, as nginx does.
 */
export function assertPortFree(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => {
      reject(new Error(`cannot listen on ${host}:${port}: ${err.code === 'EADDRINUSE' ? 'address already in use' : err.message}`));
    });
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve()));
  });
}
