// A ws client for the websocket stage's tests: messages queued in arrival order, the close it got,
// and a refused upgrade as an error carrying the answer's status, headers and body.
import { WebSocket } from 'ws';

export interface Client {
  ws: WebSocket;
  messages: { data: Buffer; binary: boolean }[];
  next(): Promise<{ data: Buffer; binary: boolean }>;
  closed: Promise<{ code: number; reason: string }>;
}

export function connect(url: string, options: { protocols?: string[]; headers?: Record<string, string>; rejectUnauthorized?: boolean } = {}): Promise<Client> {
  const ws = new WebSocket(url, options.protocols ?? [], { headers: options.headers, rejectUnauthorized: options.rejectUnauthorized ?? true });
  const messages: Client['messages'] = [];
  const waiting: ((m: Client['messages'][number]) => void)[] = [];
  ws.on('message', (data: Buffer, binary: boolean) => {
    const m = { data, binary };
    const w = waiting.shift();
    if (w) w(m);
    else messages.push(m);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({
      ws, messages, closed,
      next: () => (messages.length > 0 ? Promise.resolve(messages.shift()!) : new Promise((r) => waiting.push(r))),
    }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => reject(Object.assign(new Error(`status ${res.statusCode}`), { status: res.statusCode, headers: res.headers, body })));
    });
    ws.once('error', reject);
  });
}
