import type { Exchange, HeaderList } from './exchange.js';

/**
 * An Exchange that hands every call to the one it wraps: the base of a stage that watches or
 * replaces the answer of the stages after it (the cache records it, the fallback replaces a
 * failure). Such a stage sets `ctx.exchange` to its wrapper before calling `next`, so the wrapper
 * exists only on the routes that use the stage, and overrides the answering methods it needs.
 */
export class ForwardingExchange implements Exchange {
  constructor(protected readonly inner: Exchange) {}

  get aborted(): boolean { return this.inner.aborted; }
  get finished(): boolean { return this.inner.finished; }
  get contentLength(): number { return this.inner.contentLength; }
  get hasBody(): boolean { return this.inner.hasBody; }
  get status(): number { return this.inner.status; }
  get bytesWritten(): number { return this.inner.bytesWritten; }

  onAbort(cb: () => void): void { this.inner.onAbort(cb); }
  readBody(onChunk: (chunk: Buffer, last: boolean) => void): void { this.inner.readBody(onChunk); }
  pauseBody(): void { this.inner.pauseBody(); }
  resumeBody(): void { this.inner.resumeBody(); }

  reply(status: number, headers: HeaderList, body: string | Buffer, closeConnection?: boolean): void {
    this.inner.reply(status, headers, body, closeConnection);
  }

  replyNoBody(status: number, headers: HeaderList, reportedLength: number): void {
    this.inner.replyNoBody(status, headers, reportedLength);
  }

  replyStored(status: number, head: Uint8Array, nameLength: number, headers: HeaderList, body: Uint8Array | null, reportedLength: number): void {
    this.inner.replyStored(status, head, nameLength, headers, body, reportedLength);
  }

  streamStart(status: number, headers: HeaderList, totalSize: number): void { this.inner.streamStart(status, headers, totalSize); }
  streamWrite(chunk: Buffer): boolean { return this.inner.streamWrite(chunk); }
  onDrain(cb: () => void): void { this.inner.onDrain(cb); }
  streamEnd(): void { this.inner.streamEnd(); }
  abort(): void { this.inner.abort(); }
  fail(err: unknown, where: string): void { this.inner.fail(err, where); }
}
