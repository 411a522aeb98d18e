import type { HttpResponse } from 'uWebSockets.js';
import { fillerBytes } from './filler-bytes.js';
import { statusLine, writeHead } from './reply.js';

export interface DripPlan {
  chunks: number;
  interval: number;
  size: number;
}

/**
 * Streams `chunks` chunks of `size` bytes with res.write, one every `interval` ms, then
 * ends. The first chunk goes out at once. A chunk that meets backpressure delays the next
 * one until the socket drains, so a slow reader slows the drip instead of growing a buffer.
 */
export function startDrip(res: HttpResponse, plan: DripPlan): void {
  writeHead(res, statusLine(200), 'application/octet-stream');
  if (res.headOnly === true || plan.chunks === 0) {
    if (res.headOnly === true) res.endWithoutBody(0);
    else res.end();
    return;
  }
  const chunk = fillerBytes().subarray(0, plan.size);
  let sent = 0;
  let timer: NodeJS.Timeout | undefined;
  let waitingForDrain = false;
  // After onAborted, res must not be touched: clearing the timer guarantees that, and
  // uWS calls no onWritable on an aborted response.
  res.onAborted(() => clearTimeout(timer));
  const scheduleNext = (): void => {
    timer = setTimeout(() => res.cork(sendChunk), plan.interval);
  };
  const sendChunk = (): void => {
    sent++;
    if (sent === plan.chunks) {
      res.write(chunk);
      res.end();
      return;
    }
    if (res.write(chunk)) scheduleNext();
    else waitingForDrain = true;
  };
  res.onWritable(() => {
    if (waitingForDrain) {
      waitingForDrain = false;
      scheduleNext();
    }
    return true;
  });
  sendChunk();
}
