// A crowd of slow and idle clients held open against a target while a scenario is measured:
// a third send their request head a byte at a time (slowloris), a third announce a 1,000-byte
// body and send it a byte at a time, a third ask for 64 KiB and never read the answer. One byte
// per trickling connection every 100 ms; every socket is destroyed by stop().
import net from 'node:net';

const TICK_MS = 100;

/**
 * Opens `size` slow connections to `url` (http://host:port) and keeps them trickling until
 * stop(). Resolves once every connection is open (or failed: `failed` counts those).
 */
export async function startSlowCrowd(url, size) {
  const { hostname, port } = new URL(url);
  const sockets = [];
  const trickles = [];
  let failed = 0;
  const opened = [];
  for (let i = 0; i < size; i++) {
    const s = net.connect(Number(port), hostname);
    sockets.push(s);
    opened.push(new Promise((resolve) => {
      s.once('connect', resolve);
      s.once('error', () => {
        failed++;
        resolve();
      });
    }));
    s.on('error', () => {});
    const kind = i % 3;
    if (kind === 0) trickles.push({ socket: s, rest: `GET /small HTTP/1.1\r\nHost: x\r\nX-Slow: ${'z'.repeat(200)}\r\n\r\n` });
    else if (kind === 1) {
      s.write('POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n');
      trickles.push({ socket: s, rest: 'b'.repeat(1000) });
    } else {
      s.pause();
      s.write('GET /bytes/65536 HTTP/1.1\r\nHost: x\r\n\r\n');
    }
  }
  await Promise.all(opened);
  const timer = setInterval(() => {
    for (const t of trickles) {
      if (t.rest.length === 0 || t.socket.destroyed) continue;
      t.socket.write(t.rest[0]);
      t.rest = t.rest.slice(1);
    }
  }, TICK_MS);
  return {
    failed,
    stop() {
      clearInterval(timer);
      for (const s of sockets) s.destroy();
    },
  };
}
