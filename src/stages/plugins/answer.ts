import type { Exchange } from '../../pipeline/exchange.js';
import { HeaderView } from './plugin-headers.js';

/** A plugin's answer, checked and ready to write. */
interface Answer {
  status: number;
  headers: string[];
  body: Buffer;
}

/**
 * Checks what onRequest or handle returned as an answer: an object with a status 200..599,
 * optional headers (a name → string map), and json or body. Returns the answer or why it is not one.
 */
export function toAnswer(value: unknown): Answer | string {
  if (typeof value !== 'object' || value === null) return `returned ${value === null ? 'null' : typeof value} instead of an answer ({ status, headers, json | body })`;
  const a = value as { status?: unknown; headers?: unknown; json?: unknown; body?: unknown };
  if (typeof a.status !== 'number' || !Number.isInteger(a.status) || a.status < 200 || a.status > 599) {
    return `answered with status ${JSON.stringify(a.status)}: a status is an integer from 200 to 599`;
  }
  const headers = new HeaderView([]);
  let body: Buffer;
  if (a.json !== undefined) {
    if (a.body !== undefined) return 'answered with both json and body';
    const text = JSON.stringify(a.json);
    if (text === undefined) return 'answered with json that does not serialise';
    body = Buffer.from(text);
    headers.set('content-type', 'application/json');
  } else if (typeof a.body === 'string') {
    body = Buffer.from(a.body);
    headers.set('content-type', 'text/plain; charset=utf-8');
  } else if (a.body instanceof Uint8Array) {
    body = Buffer.from(a.body.buffer, a.body.byteOffset, a.body.byteLength);
    headers.set('content-type', 'application/octet-stream');
  } else if (a.body === undefined) {
    body = Buffer.alloc(0);
  } else {
    return 'answered with a body that is neither a string nor bytes';
  }
  if (a.headers !== undefined) {
    if (typeof a.headers !== 'object' || a.headers === null) return 'answered with headers that are not an object';
    try {
      for (const [name, v] of Object.entries(a.headers)) headers.set(name, String(v));
    } catch (err) {
      return `answered with ${(err as Error).message}`;
    }
  }
  return { status: a.status, headers: headers.list, body };
}

/** Writes a checked answer: no body for HEAD, 204 and 304 (HEAD reports the length a GET gets). */
export function writeAnswer(ex: Exchange, method: string, answer: Answer, closeConnection: boolean): void {
  const { status, headers, body } = answer;
  if (status === 204 || status === 304) ex.replyNoBody(status, headers, -1);
  else if (method === 'HEAD') ex.replyNoBody(status, headers, body.length);
  else ex.reply(status, headers, body, closeConnection);
}
