import type { HttpResponse } from 'uWebSockets.js';

export interface BodyResult {
  /** Total bytes received. */
  length: number;
  /** The whole body, or null when it was longer than the keep limit (then only counted). */
  data: Buffer | null;
}

/**
 * Reads the request body to its end, keeping at most `keepLimit` bytes, and calls `done`
 * unless the client went away first. `done` runs outside the handler: cork its writes.
 */
export function readBody(res: HttpResponse, keepLimit: number, done: (body: BodyResult) => void): void {
  const chunks: Buffer[] = [];
  let length = 0;
  let aborted = false;
  res.onAborted(() => {
    aborted = true;
  });
  res.onData((chunk, isLast) => {
    length += chunk.byteLength;
    // uWS neuters the chunk when this callback returns, so it is copied.
    if (length <= keepLimit) chunks.push(Buffer.from(new Uint8Array(chunk)));
    if (!isLast || aborted) return;
    done({ length, data: length <= keepLimit ? Buffer.concat(chunks, length) : null });
  });
}
