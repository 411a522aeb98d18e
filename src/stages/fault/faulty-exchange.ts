import type { Exchange, HeaderList } from '../../pipeline/exchange.js';

/** Where a FaultyExchange throws: each reaches the stages' code from a different callback. */
export type ExchangeFault =
  /** reply, replyNoBody, replyStored and streamStart: called from upstream-call handlers, timers, error paths. */
  | 'answer'
  /** The second streamWrite, once the head and a first chunk went out: the answer has begun. */
  | 'mid-body'
  /** Every chunk of the request body, from uWS's onData. */
  | 'body-read'
  /** The abort callback, after it ran, from uWS's onAborted. */
  | 'abort'
  /** The drain callback, from uWS's onWritable. */
  | 'drain';

/**
 * An Exchange that delegates to the real one and throws at one chosen point, so that a test can
 * show that an exception in any callback of a stage ends in a 500 (or a cut, once the answer has
 * begun) and never in a dead worker. Built only by the test-only fault stage.
 */
export class FaultyExchange implements Exchange {
  private writes = 0;

  constructor(private readonly real: Exchange, private readonly fault: ExchangeFault) {}

  get aborted(): boolean { return this.real.aborted; }
  get finished(): boolean { return this.real.finished; }
  get contentLength(): number { return this.real.contentLength; }
  get hasBody(): boolean { return this.real.hasBody; }
  get status(): number { return this.real.status; }
  get bytesWritten(): number { return this.real.bytesWritten; }

  onAbort(cb: () => void): void {
    if (this.fault !== 'abort') return this.real.onAbort(cb);
    this.real.onAbort(() => {
      cb();
      throw new Error('fault injection: throw-on-abort');
    });
  }

  readBody(onChunk: (chunk: Buffer, last: boolean) => void): void {
    if (this.fault !== 'body-read') return this.real.readBody(onChunk);
    this.real.readBody(() => {
      throw new Error('fault injection: throw-in-body-read');
    });
  }

  pauseBody(): void { this.real.pauseBody(); }
  resumeBody(): void { this.real.resumeBody(); }

  reply(status: number, headers: HeaderList, body: string | Buffer, closeConnection?: boolean): void {
    this.throwOnAnswer();
    this.real.reply(status, headers, body, closeConnection);
  }

  replyNoBody(status: number, headers: HeaderList, reportedLength: number): void {
    this.throwOnAnswer();
    this.real.replyNoBody(status, headers, reportedLength);
  }

  replyStored(status: number, head: Uint8Array, nameLength: number, headers: HeaderList, body: Uint8Array | null, reportedLength: number): void {
    this.throwOnAnswer();
    this.real.replyStored(status, head, nameLength, headers, body, reportedLength);
  }

  streamStart(status: number, headers: HeaderList, totalSize: number): void {
    this.throwOnAnswer();
    this.real.streamStart(status, headers, totalSize);
  }

  streamWrite(chunk: Buffer): boolean {
    if (this.fault === 'mid-body' && ++this.writes === 2) throw new Error('fault injection: throw-mid-body');
    return this.real.streamWrite(chunk);
  }

  onDrain(cb: () => void): void {
    if (this.fault !== 'drain') return this.real.onDrain(cb);
    this.real.onDrain(() => {
      throw new Error('fault injection: throw-on-drain');
    });
  }

  streamEnd(): void { this.real.streamEnd(); }
  abort(): void { this.real.abort(); }
  fail(err: unknown, where: string): void { this.real.fail(err, where); }

  private throwOnAnswer(): void {
    if (this.fault === 'answer') throw new Error('fault injection: throw-on-answer');
  }
}
