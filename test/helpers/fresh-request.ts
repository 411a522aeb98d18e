// One request on a connection of its own (no keep-alive agent): successive requests reach the
// gateway on new connections, so the kernel spreads them over the workers (SO_REUSEPORT).
import http from 'node:http';

export interface FreshReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** `body` as a list is written chunk by chunk, `gapMs` apart (so it arrives in several reads). */
export function freshRequest(url: string, opts: { method?: string; headers?: Record<string, string>; body?: Buffer | string | Buffer[]; gapMs?: number } = {}): Promise<FreshReply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: opts.method ?? 'GET', headers: opts.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (!Array.isArray(opts.body)) {
      req.end(opts.body);
      return;
    }
    const chunks = [...opts.body];
    const next = (): void => {
      const chunk = chunks.shift();
      if (chunk === undefined) req.end();
      else {
        req.write(chunk);
        setTimeout(next, opts.gapMs ?? 50);
      }
    };
    next();
  });
}

/** Polls `cond` every 20 ms until it holds; rejects after timeoutMs. */
export async function waitUntil(cond: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const start = Date.now();
  while (!(await cond())) {
    if (Date.now() - start > timeoutMs) throw new Error(`${what}: not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
