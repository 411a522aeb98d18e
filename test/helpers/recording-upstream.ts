// A raw TCP upstream that records every byte it receives and answers each request with a fixed
// small response: what the bad-request tests use to prove nothing was forwarded.
import net from 'node:net';
import { listenOnLoopback } from './listen.js';

export interface RecordingUpstream {
  port: number;
  url: string;
  received(): string;
  connections(): number;
  close(): Promise<void>;
}

export async function startRecordingUpstream(answer = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok'): Promise<RecordingUpstream> {
  let data = '';
  let count = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    count++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    s.on('data', (d) => {
      data += d.toString('latin1');
      if (d.includes('\r\n\r\n')) s.write(answer);
    });
  });
  const port = await listenOnLoopback(server);
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    received: () => data,
    connections: () => count,
    close: () => new Promise((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
}

/** Sends raw bytes to host:port and resolves with everything read until the peer closes or the timeout. */
export function rawExchange(port: number, bytes: string | Buffer, timeoutMs = 1_500): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let text = '';
    let closed = false;
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ text, closed });
    }, timeoutMs);
    s.on('data', (d) => { text += d.toString('latin1'); });
    s.on('error', () => {});
    s.on('close', () => {
      closed = true;
      clearTimeout(timer);
      resolve({ text, closed });
    });
    s.write(bytes);
  });
}
