import { Readable } from 'node:stream';
import type { Exchange } from '../../pipeline/exchange.js';

/**
 * The client's request body as a Readable for the upstream connection, with backpressure: when
 * the upstream socket is full, push() returns false and we pause the uWS connection; the next
 * read resumes it.
 */
export class RequestBodyStream extends Readable {
  constructor(private readonly ex: Exchange) {
    super({ highWaterMark: 64 * 1024 });
  }

  // Called by the stream machinery (from the upstream socket's drain): a throw here would escape
  // to the worker's uncaughtException.
  override _read(): void {
    try {
      this.ex.resumeBody();
    } catch (err) {
      this.ex.fail(err, 'request body stream');
    }
  }

  offer(chunk: Buffer, last: boolean): void {
    if (this.destroyed) return;
    if (chunk.length > 0 && !this.push(chunk)) this.ex.pauseBody();
    if (last) this.push(null);
  }
}
