// The soak's traffic: an autocannon run cycling through a mix of requests (each connection sends
// them in order, no pipelining), and beside it a loop of clients that leave mid-request.
import net from 'node:net';
import autocannon from 'autocannon';

const POST_BODY = 'p'.repeat(4096);

/** One cycle of the mix, per connection. `expect` is the status each must get. */
export const MIX = [
  { name: 'small', method: 'GET', path: '/api/small', expect: 200 },
  { name: 'small', method: 'GET', path: '/api/small', expect: 200 },
  { name: 'small', method: 'GET', path: '/api/small', expect: 200 },
  { name: 'bytes-64k', method: 'GET', path: '/api/bytes/65536', expect: 200 },
  { name: 'post-4k', method: 'POST', path: '/api/echo', headers: { 'content-type': 'text/plain' }, body: POST_BODY, expect: 200 },
  { name: 'static', method: 'GET', path: '/static', expect: 200 },
  { name: 'not-found', method: 'GET', path: '/nope', expect: 404 },
  { name: 'upstream-500', method: 'GET', path: '/flaky/fail', expect: 500 },
  { name: 'upstream-reset', method: 'GET', path: '/flaky/reset', expect: 502 },
  { name: 'upstream-timeout', method: 'GET', path: '/slow-timeout?ms=200', expect: 504 },
];

export const EXPECTED_STATUSES = [...new Set(MIX.map((r) => r.expect))].sort();

/**
 * Starts the autocannon run. `rate` caps the requests per second over all connections (0: as
 * fast as the gateway answers). Returns the run's promise and a running count of answers.
 */
export function startTraffic({ url, seconds, connections, rate }) {
  let answered = 0;
  const instance = autocannon({
    url,
    connections,
    pipelining: 1, // uWS closes a connection on a request pipelined behind an asynchronous answer
    duration: seconds,
    ...(rate > 0 ? { overallRate: rate } : {}),
    requests: MIX.map(({ method, path, headers, body }) => ({ method, path, headers, body })),
  });
  instance.on('tick', ({ counter }) => {
    answered += counter;
  });
  const done = new Promise((resolve, reject) => {
    instance.once('done', resolve);
    instance.once('error', reject);
  });
  return { done, answered: () => answered, stop: () => instance.stop() };
}

/**
 * Every `intervalMs`, one client that goes away mid-request, in turn: while the upstream is
 * still working (GET /slow), in the middle of its upload (POST with 1 KB of a declared 64 KiB),
 * and once the download has begun (GET of 1 MiB, closed at the first bytes).
 */
export function startAborts({ port, intervalMs }) {
  const counts = { 'slow-request': 0, 'partial-upload': 0, 'mid-download': 0 };
  const open = new Set();
  let i = 0;
  const one = () => {
    const kind = ['slow-request', 'partial-upload', 'mid-download'][i % 3];
    const delay = 20 + ((i * 37) % 60);
    i++;
    const socket = net.connect(port, '127.0.0.1');
    open.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => open.delete(socket));
    counts[kind]++;
    if (kind === 'slow-request') {
      socket.write('GET /slow?ms=1000 HTTP/1.1\r\nHost: soak\r\n\r\n');
      setTimeout(() => socket.destroy(), delay);
    } else if (kind === 'partial-upload') {
      socket.write(`POST /api/echo HTTP/1.1\r\nHost: soak\r\nContent-Length: 65536\r\n\r\n${'u'.repeat(1000)}`);
      setTimeout(() => socket.destroy(), delay);
    } else {
      socket.write('GET /api/bytes/1048576 HTTP/1.1\r\nHost: soak\r\n\r\n');
      socket.once('data', () => socket.destroy());
      setTimeout(() => socket.destroy(), 5_000).unref(); // should the answer never come
    }
  };
  const timer = setInterval(one, intervalMs);
  return {
    counts: () => ({ ...counts }),
    stop() {
      clearInterval(timer);
      for (const socket of open) socket.destroy();
      return { ...counts };
    },
  };
}
