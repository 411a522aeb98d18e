// A real WebSocket upstream for the websocket stage's tests (ws on a node:http server, port 0):
//   /ws/echo           echoes every message, text as text, binary as binary
//   /ws/close/CODE     closes with CODE and the reason "upstream says bye" right after opening
//   /ws/flood/N/SIZE   sends N binary messages of SIZE bytes (a 4-byte sequence number first) as fast as ws takes them
//   /ws/deaf           reads nothing (its socket is paused)
// Plain HTTP requests are answered 200 "plain". Every connection is recorded.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export interface UpstreamConnection {
  path: string;
  headers: IncomingMessage['headers'];
  socket: WebSocket;
  pings: number;
  /** The close the upstream received: code and reason. */
  closed: Promise<{ code: number; reason: string }>;
}

export interface WsUpstream {
  url: string;
  port: number;
  connections: UpstreamConnection[];
  /** Resolves with the next connection opened. */
  nextConnection(): Promise<UpstreamConnection>;
  close(): Promise<void>;
}

export async function startWsUpstream(): Promise<WsUpstream> {
  const server: Server = createServer((req, res) => res.end('plain'));
  const wss = new WebSocketServer({ server, handleProtocols: (protocols) => (protocols.has('chat.v2') ? 'chat.v2' : false) });
  const connections: UpstreamConnection[] = [];
  const waiting: ((c: UpstreamConnection) => void)[] = [];
  wss.on('connection', (socket, req) => {
    const path = req.url ?? '';
    let closedResolve!: (v: { code: number; reason: string }) => void;
    const c: UpstreamConnection = { path, headers: req.headers, socket, pings: 0, closed: new Promise((r) => { closedResolve = r; }) };
    socket.on('close', (code, reason) => closedResolve({ code, reason: reason.toString() }));
    socket.on('ping', () => { c.pings++; });
    connections.push(c);
    waiting.shift()?.(c);
    if (path.startsWith('/ws/echo')) {
      socket.on('message', (data, binary) => socket.send(data as Buffer, { binary }));
    } else if (path.startsWith('/ws/close/')) {
      socket.close(Number(path.split('/')[3]), 'upstream says bye');
    } else if (path.startsWith('/ws/deaf')) {
      socket.pause();
    } else if (path.startsWith('/ws/flood/')) {
      const [, , , n, size] = path.split('/');
      for (let i = 0; i < Number(n); i++) {
        const m = Buffer.alloc(Number(size), i & 0xff);
        m.writeUInt32BE(i, 0);
        socket.send(m, { binary: true });
      }
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    connections,
    nextConnection: () => new Promise((resolve) => waiting.push(resolve)),
    close: async () => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
