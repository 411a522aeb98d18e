import type { HttpResponse } from 'uWebSockets.js';
import { statusLine, writeHead } from './reply.js';

export const MAX_BYTES = 16 * 1024 * 1024;

let filler: Buffer | undefined;

/** One shared 16 MiB buffer that every /bytes and /drip answer is sliced from. */
export function fillerBytes(): Buffer {
  filler ??= Buffer.alloc(MAX_BYTES, 'tollgate-demo-bytes/');
  return filler;
}

/**
 * Sends `body` with tryEnd, continuing from onWritable under backpressure instead of
 * letting uWS buffer all of a large body. Callers outside the handler must cork.
 */
export function sendOctets(res: HttpResponse, body: Uint8Array): void {
  writeHead(res, statusLine(200), 'application/octet-stream');
  if (res.headOnly === true) {
    res.endWithoutBody(0);
    return;
  }
  const startOffset = res.getWriteOffset();
  const [, done] = res.tryEnd(body, body.byteLength);
  if (done) return;
  // The handler returns before the answer is complete, which uWS allows only with an abort
  // handler; there is nothing to cancel, as uWS drops the onWritable with the response.
  res.onAborted(() => undefined);
  res.onWritable((offset) => {
    const [ok] = res.tryEnd(body.subarray(offset - startOffset), body.byteLength);
    return ok;
  });
}
