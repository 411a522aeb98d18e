// The WebSocket load for bench/run.mjs (autocannon speaks only HTTP): `connections` clients, each
// sending one message and waiting for its echo before sending the next, for `seconds`. Reports in
// the shape of an autocannon result (requests = echoed messages) plus the round-trip times.
import { performance } from 'node:perf_hooks';
import hdr from 'hdr-histogram-js';
import { WebSocket } from 'ws';

/**
 * @param {string} url ws:// URL of an echo endpoint
 * @param {{ messageSize: number, binary?: boolean }} shape
 */
export async function wsLoad(url, shape, connections, seconds) {
  const latencyUs = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  const message = shape.binary ? Buffer.alloc(shape.messageSize, 7) : 'x'.repeat(shape.messageSize);
  let total = 0;
  let errors = 0;
  const sockets = await Promise.all(Array.from({ length: connections }, () => new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  })));
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(sockets.map((ws) => new Promise((resolve) => {
    let sentAt = 0;
    const send = () => {
      if (performance.now() >= deadline) {
        resolve(undefined);
        return;
      }
      sentAt = performance.now();
      ws.send(message, { binary: shape.binary === true });
    };
    ws.on('message', () => {
      latencyUs.recordValue(Math.max(1, Math.round((performance.now() - sentAt) * 1000)));
      total++;
      send();
    });
    ws.on('error', () => { errors++; });
    ws.on('close', () => resolve(undefined));
    send();
  })));
  for (const ws of sockets) ws.close(1000);
  return { result: { requests: { average: total / seconds, total }, non2xx: 0, errors, timeouts: 0 }, latencyUs };
}
