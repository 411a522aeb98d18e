// An HTTP upstream (node:http) that fails on purpose, as the test says at any moment: answers a
// status, resets the connection, hangs, or breaks off after the head. Its answers name it, and it
// counts requests per path and the connections opened to it.
import http from 'node:http';
import type net from 'node:net';

export type Behaviour =
  | { kind: 'ok' }
  | { kind: 'status'; status: number }
  | { kind: 'reset' }
  | { kind: 'hang' }
  | { kind: 'delay'; ms: number }
  /** A 200 head declaring `declared` bytes, `sent` of them, then the connection reset. */
  | { kind: 'partial'; declared: number; sent: number };

export interface FailingUpstream {
  name: string;
  host: string;
  port: number;
  url: string;
  /** What the next requests get (paths other than the health path). */
  behaviour: Behaviour;
  /** Status of GET /health. */
  healthStatus: number;
  /** Requests per path (without the query). */
  hits: Map<string, number>;
  /** Requests to paths other than /health. */
  requests(): number;
  connections(): number;
  /** Requests being held by 'hang' or 'delay'. */
  held(): number;
  /** Answers every hanging request 200. */
  releaseHeld(): void;
  close(): Promise<void>;
}

export async function startFailingUpstream(name: string, opts: { host?: string; port?: number } = {}): Promise<FailingUpstream> {
  const hanging = new Set<http.ServerResponse>();
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const up: FailingUpstream = {
    name,
    host: opts.host ?? '127.0.0.1',
    port: 0,
    url: '',
    behaviour: { kind: 'ok' },
    healthStatus: 200,
    hits: new Map(),
    requests: () => [...up.hits].filter(([path]) => path !== '/health').reduce((n, [, c]) => n + c, 0),
    connections: () => connections,
    held: () => hanging.size,
    releaseHeld: () => {
      for (const res of hanging) res.end(name);
      hanging.clear();
    },
    close: () => new Promise((resolve) => {
      for (const res of hanging) res.destroy();
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    up.hits.set(path, (up.hits.get(path) ?? 0) + 1);
    if (path === '/health') {
      res.writeHead(up.healthStatus).end();
      return;
    }
    const b = up.behaviour;
    req.resume();
    const ok = () => res.writeHead(200, { 'content-type': 'text/plain', 'x-upstream': name }).end(name);
    switch (b.kind) {
      case 'ok': req.on('end', ok); break;
      case 'status': req.on('end', () => res.writeHead(b.status, { 'x-upstream': name }).end(`${name} says ${b.status}`)); break;
      case 'reset': req.socket.destroy(); break;
      case 'hang':
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        break;
      case 'delay':
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        setTimeout(() => {
          hanging.delete(res);
          if (!res.destroyed) ok();
        }, b.ms);
        break;
      case 'partial':
        res.writeHead(200, { 'content-length': String(b.declared), 'x-upstream': name });
        res.write(Buffer.alloc(b.sent, 'p'));
        setTimeout(() => req.socket.destroy(), 50);
        break;
    }
  });
  server.on('connection', (s) => {
    connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, up.host, () => resolve());
  });
  up.port = (server.address() as net.AddressInfo).port;
  up.url = `http://${up.host}:${up.port}`;
  return up;
}

/** Two upstreams on two loopback addresses and one port (for DNS discovery): retried until a port is free on both. */
export async function startOnOnePort(hosts: readonly string[]): Promise<FailingUpstream[]> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const first = await startFailingUpstream(hosts[0]!, { host: hosts[0] });
    const rest: FailingUpstream[] = [];
    try {
      for (const host of hosts.slice(1)) rest.push(await startFailingUpstream(host, { host, port: first.port }));
      return [first, ...rest];
    } catch {
      await Promise.all([first, ...rest].map((u) => u.close()));
    }
  }
  throw new Error('no port free on every address');
}
