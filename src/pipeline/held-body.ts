import type { Exchange } from './exchange.js';
import { ForwardingExchange } from './forwarding-exchange.js';

/**
 * For a stage that answers asynchronously (a JWT checked off the fast path) in front of one that
 * reads the request body: uWS drops body bytes that arrive while no onData handler is attached
 * (the request then never completes), so the body must be read from the start. This exchange
 * starts reading at once and pauses the upload, keeps what arrived, and hands it over, in order,
 * to the later stage's readBody before resuming. An early answer (401) leaves the upload unread
 * and the connection closes after it, as for any answer to an unread upload.
 */
export class HeldBodyExchange extends ForwardingExchange {
  private held: { chunk: Buffer; last: boolean }[] | null = [];
  private reader: ((chunk: Buffer, last: boolean) => void) | null = null;
  /** The pause this exchange made, lifted when the reader takes over. */
  private holding = true;

  constructor(real: Exchange) {
    super(real);
    real.readBody((chunk, last) => {
      if (this.reader !== null) this.reader(chunk, last);
      else this.held!.push({ chunk, last });
    });
    real.pauseBody();
  }

  override readBody(onChunk: (chunk: Buffer, last: boolean) => void): void {
    if (this.reader !== null) throw new Error('the request body is already being read');
    this.reader = onChunk;
    // Resumed before the replay: nothing can arrive during this synchronous call, and a reader
    // that pauses while it takes the held chunks keeps its pause.
    if (this.holding) {
      this.holding = false;
      this.real.resumeBody();
    }
    const held = this.held!;
    this.held = null;
    for (const { chunk, last } of held) onChunk(chunk, last);
  }
}
