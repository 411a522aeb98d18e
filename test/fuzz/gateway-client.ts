// Sends one case's bytes to the gateway on a fresh connection (one write, no half-close: uWS
// takes a FIN as the end of the connection) and reads what comes back until the gateway closes
// the connection, the expected number of answers arrived, or the time is up. Inputs that uWS
// drops unanswered only end at the time limit, so the limit stays short.
import net from 'node:net';
import { ANSWER_HEADER } from './capture-upstream.js';

export interface ClientResult {
  /** Final status codes in order of arrival (interim 100 Continue left out). */
  statuses: number[];
  /** The upstream serials of the answers that came from the upstream. */
  fromUpstream: number[];
  closed: boolean;
  text: string;
}

// A status line can follow a body directly (`okHTTP/1.1 200 OK`); no body or header value the
// fuzz setup produces contains one, so every occurrence is an answer.
const STATUS = /HTTP\/1\.1 (\d{3}) [^\r\n]*\r\n/g;
const ANSWER = new RegExp(`\\r\\n${ANSWER_HEADER}: (\\d+)\\r\\n`, 'gi');

export function readAnswers(text: string): Pick<ClientResult, 'statuses' | 'fromUpstream'> {
  const statuses = [...text.matchAll(STATUS)].map((m) => Number(m[1])).filter((s) => s !== 100);
  const fromUpstream = [...text.matchAll(ANSWER)].map((m) => Number(m[1]));
  return { statuses, fromUpstream };
}

export interface ClientLimits {
  /** Give up after this long without the connection ending. */
  timeoutMs: number;
  /** After `expected` answers, wait this long for anything more (a second answer that must not come). */
  graceMs: number;
}

export function sendToGateway(port: number, bytes: Buffer, expected: number, limits: ClientLimits): Promise<ClientResult> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    let closed = false;
    let graceTimer: NodeJS.Timeout | null = null;
    const finish = (): void => {
      clearTimeout(timer);
      if (graceTimer !== null) clearTimeout(graceTimer);
      socket.destroy();
      resolve({ ...readAnswers(text), closed, text });
    };
    const timer = setTimeout(finish, limits.timeoutMs);
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (expected > 0 && graceTimer === null && readAnswers(text).statuses.length >= expected) {
        graceTimer = setTimeout(finish, limits.graceMs);
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      closed = true;
      finish();
    });
    socket.write(bytes);
  });
}
