import { STATUS_CODES } from 'node:http';
import type { HttpResponse } from 'uWebSockets.js';

/** A response prepared once (status line, content type, encoded body) and sent many times. */
export interface Answer {
  status: string;
  contentType: string;
  body: Buffer;
}

export function statusLine(code: number): string {
  return `${code} ${STATUS_CODES[code] ?? 'Unknown'}`;
}

export function jsonAnswer(code: number, value: unknown, contentType = 'application/json'): Answer {
  return { status: statusLine(code), contentType, body: Buffer.from(JSON.stringify(value)) };
}

export function problemAnswer(code: number, detail?: string): Answer {
  const problem = { type: 'about:blank', title: STATUS_CODES[code] ?? 'Unknown', status: code, detail };
  return jsonAnswer(code, problem, 'application/problem+json');
}

/**
 * Every answer names the demo as its `server`, so a gateway's response header removal
 * has something to remove.
 */
export function writeHead(res: HttpResponse, status: string, contentType: string): void {
  res.writeStatus(status).writeHeader('server', 'tollgate-demo').writeHeader('content-type', contentType);
}

/**
 * HEAD requests are served by the GET handlers with `res.headOnly` set (see route-table.ts).
 * uWS 20.30 cannot report a body length without sending the body, so HEAD answers carry
 * `Content-Length: 0`.
 */
export function endBody(res: HttpResponse, body: Uint8Array | string): void {
  if (res.headOnly === true) res.endWithoutBody(0);
  else res.end(body);
}

/** Callers answering after an await must wrap this in res.cork(). */
export function sendAnswer(res: HttpResponse, answer: Answer): void {
  writeHead(res, answer.status, answer.contentType);
  endBody(res, answer.body);
}

export function sendJson(res: HttpResponse, code: number, value: unknown): void {
  writeHead(res, statusLine(code), 'application/json');
  endBody(res, JSON.stringify(value));
}

export function sendProblem(res: HttpResponse, code: number, detail: string): void {
  sendAnswer(res, problemAnswer(code, detail));
}
