import type { Exchange, HeaderList } from '../../pipeline/exchange.js';
import { ForwardingExchange } from '../../pipeline/forwarding-exchange.js';

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
export class FaultyExchange extends ForwardingExchange {
  private writes = 0;

  constructor(real: Exchange, private readonly fault: ExchangeFault) {
    super(real);
  }

  override onAbort(cb: () => void): void {
    if (this.fault !== 'abort') return this.real.onAbort(cb);
    this.real.onAbort(() => {
      cb();
      throw new Error('fault injection: throw-on-abort');
    });
  }

  override readBody(onChunk: (chunk: Buffer, last: boolean) => void): void {
    if (this.fault !== 'body-read') return this.real.readBody(onChunk);
    this.real.readBody(() => {
      throw new Error('fault injection: throw-in-body-read');
    });
  }

  override reply(status: number, headers: HeaderList, body: string | Buffer, closeConnection?: boolean): void {
    this.throwOnAnswer();
    this.real.reply(status, headers, body, closeConnection);
  }

  override replyNoBody(status: number, headers: HeaderList, reportedLength: number): void {
    this.throwOnAnswer();
    this.real.replyNoBody(status, headers, reportedLength);
  }

  override replyStored(status: number, head: Uint8Array, nameLength: number, headers: HeaderList, body: Uint8Array | null, reportedLength: number): void {
    this.throwOnAnswer();
    this.real.replyStored(status, head, nameLength, headers, body, reportedLength);
  }

  override streamStart(status: number, headers: HeaderList, totalSize: number): void {
    this.throwOnAnswer();
    this.real.streamStart(status, headers, totalSize);
  }

  override streamWrite(chunk: Buffer): boolean {
    if (this.fault === 'mid-body' && ++this.writes === 2) throw new Error('fault injection: throw-mid-body');
    return this.real.streamWrite(chunk);
  }

  override onDrain(cb: () => void): void {
    if (this.fault !== 'drain') return this.real.onDrain(cb);
    this.real.onDrain(() => {
      throw new Error('fault injection: throw-on-drain');
    });
  }

  private throwOnAnswer(): void {
    if (this.fault === 'answer') throw new Error('fault injection: throw-on-answer');
  }
}
