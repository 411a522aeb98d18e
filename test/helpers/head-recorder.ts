// A raw TCP upstream that splits what each connection sends into request heads (bodiless
// requests only), keeps every head byte for byte, and answers each with its own request line,
// so a client can tell whose answer it got. What the request-splitting tests use to check the
// exact bytes the gateway wrote upstream, and how many requests it wrote.
import net from 'node:net';
import { listenOnLoopback } from './listen.js';

export interface HeadRecorder {
  port: number;
  url: string;
  /** Every request head received so far, in order of arrival, without the final CRLF CRLF. */
  heads(): Buffer[];
  close(): Promise<void>;
}

const END = Buffer.from('\r\n\r\n');

export async function startHeadRecorder(): Promise<HeadRecorder> {
  const heads: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    let pending = Buffer.alloc(0);
    s.on('data', (d) => {
      pending = Buffer.concat([pending, d]);
      let at: number;
      while ((at = pending.indexOf(END)) >= 0) {
        const head = pending.subarray(0, at);
        pending = pending.subarray(at + END.length);
        heads.push(Buffer.from(head));
        const line = head.subarray(0, Math.max(0, head.indexOf('\r\n')));
        s.write(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${line.length}\r\n\r\n`), line]));
      }
    });
  });
  const port = await listenOnLoopback(server);
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    heads: () => heads.slice(),
    close: () => new Promise((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
}

/** The raw value bytes of every `name:` line of a head (name matched case-insensitively). */
export function headerBytes(head: Buffer, name: string): Buffer[] {
  const out: Buffer[] = [];
  const prefix = name.toLowerCase() + ':';
  let start = head.indexOf('\r\n') + 2;
  while (start > 1 && start < head.length) {
    let end = head.indexOf('\r\n', start);
    if (end < 0) end = head.length;
    const line = head.subarray(start, end);
    if (line.subarray(0, prefix.length).toString('latin1').toLowerCase() === prefix) {
      let v = line.subarray(prefix.length);
      while (v.length > 0 && (v[0] === 0x20 || v[0] === 0x09)) v = v.subarray(1);
      out.push(Buffer.from(v));
    }
    start = end + 2;
  }
  return out;
}
