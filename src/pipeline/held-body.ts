import type { Exchange, HeaderList } from './exchange.js';

/**
 * For a stage that answers asynchronously (a JWT checked off the fast path) in front of one that
 * reads the request body: uWS drops body bytes that arrive while no onData handler is attached
 * (the request then never completes), so the body must be read from the start. This exchange
 * starts reading at once and pauses the upload, keeps what arrived, and hands it over, in order,
 * to the later stage's readBody before resuming. An early answer (401) leaves the upload unread
 * and the connection closes after it, as for any answer to an unread upload.
 */
export class HeldBodyExchange implements Exchange {
  private held: { chunk: Buffer; last: boolean }[] | null = [];
  private reader: ((chunk: Buffer, last: boolean) => void) | null = null;
  /** The pause this exchange made, lifted when the reader takes over. */
  private holding = true;

  constructor(private readonly real: Exchange) {
    real.readBody((chunk, last) => {
      if (this.reader !== null) this.reader(chunk, last);
      else this.held!.push({ chunk, last });
    });
    real.pauseBody();
  }

  get aborted(): boolean { return this.real.aborted; }
  get finished(): boolean { return this.real.finished; }
  get contentLength(): number { return this.real.contentLength; }
  get hasBody(): boolean { return this.real.hasBody; }
  get status(): number { return this.real.status; }
  get bytesWritten(): number { return this.real.bytesWritten; }

  onAbort(cb: () => void): void { this.real.onAbort(cb); }

  readBody(onChunk: (chunk: Buffer, last: boolean) => void): void {
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

  pauseBody(): void { this.real.pauseBody(); }
  resumeBody(): void { this.real.resumeBody(); }
  reply(status: number, headers: HeaderList, body: string | Buffer, closeConnection?: boolean): void { this.real.reply(status, headers, body, closeConnection); }
  replyNoBody(status: number, headers: HeaderList, reportedLength: number): void { this.real.replyNoBody(status, headers, reportedLength); }
  streamStart(status: number, headers: HeaderList, totalSize: number): void { this.real.streamStart(status, headers, totalSize); }
  streamWrite(chunk: Buffer): boolean { return this.real.streamWrite(chunk); }
  onDrain(cb: () => void): void { this.real.onDrain(cb); }
  streamEnd(): void { this.real.streamEnd(); }
  abort(): void { this.real.abort(); }
  fail(err: unknown, where: string): void { this.real.fail(err, where); }
}
