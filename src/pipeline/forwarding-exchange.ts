import type { Exchange, HeaderList } from './exchange.js';
import type { WebSocketUpgrade } from './websocket.js';

/**
 * An exchange that hands everything to the one it wraps: a stage that changes one part of the
 * answer (headers, the body's encoding) or watches or replaces it (the cache records it, the
 * fallback replaces a failure) extends it and overrides only that part.
 */
export class ForwardingExchange implements Exchange {
  constructor(protected readonly real: Exchange) {}

  get aborted(): boolean { return this.real.aborted; }
  get finished(): boolean { return this.real.finished; }
  get contentLength(): number { return this.real.contentLength; }
  get hasBody(): boolean { return this.real.hasBody; }
  get status(): number { return this.real.status; }
  get bytesWritten(): number { return this.real.bytesWritten; }
  get upgrade(): WebSocketUpgrade | null { return this.real.upgrade; }

  onAbort(cb: () => void): void { this.real.onAbort(cb); }
  readBody(onChunk: (chunk: Buffer, last: boolean) => void): void { this.real.readBody(onChunk); }
  pauseBody(): void { this.real.pauseBody(); }
  resumeBody(): void { this.real.resumeBody(); }
  reply(status: number, headers: HeaderList, body: string | Buffer, closeConnection?: boolean): void { this.real.reply(status, headers, body, closeConnection); }
  replyNoBody(status: number, headers: HeaderList, reportedLength: number): void { this.real.replyNoBody(status, headers, reportedLength); }
  replyStored(status: number, head: Uint8Array, nameLength: number, headers: HeaderList, body: Uint8Array | null, reportedLength: number): void {
    this.real.replyStored(status, head, nameLength, headers, body, reportedLength);
  }
  streamStart(status: number, headers: HeaderList, totalSize: number): void { this.real.streamStart(status, headers, totalSize); }
  streamWrite(chunk: Buffer): boolean { return this.real.streamWrite(chunk); }
  onDrain(cb: () => void): void { this.real.onDrain(cb); }
  streamEnd(): void { this.real.streamEnd(); }
  abort(): void { this.real.abort(); }
  fail(err: unknown, where: string): void { this.real.fail(err, where); }
}

/** Headers `extra` added to every answer, after those of `headers` that `keep` lets through. */
export class HeaderAddingExchange extends ForwardingExchange {
  constructor(real: Exchange, private readonly extra: readonly string[], private readonly keep: ((name: string) => boolean) | null) {
    super(real);
  }

  private with(headers: HeaderList): HeaderList {
    const keep = this.keep;
    if (keep === null) return headers.concat(this.extra);
    const out: (string | Buffer)[] = [];
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i] as string;
      if (keep(name)) out.push(name, headers[i + 1]!);
    }
    for (const h of this.extra) out.push(h);
    return out;
  }

  override reply(status: number, headers: HeaderList, body: string | Buffer, closeConnection?: boolean): void { this.real.reply(status, this.with(headers), body, closeConnection); }
  override replyNoBody(status: number, headers: HeaderList, reportedLength: number): void { this.real.replyNoBody(status, this.with(headers), reportedLength); }
  override streamStart(status: number, headers: HeaderList, totalSize: number): void { this.real.streamStart(status, this.with(headers), totalSize); }
  /** A stored answer (the cache's): `extra` is added; its stored header lines are sent as stored, unfiltered by `keep`. */
  override replyStored(status: number, head: Uint8Array, nameLength: number, headers: HeaderList, body: Uint8Array | null, reportedLength: number): void {
    this.real.replyStored(status, head, nameLength, this.with(headers), body, reportedLength);
  }
}

/** The first value of a request header (names lowercase, as RequestContext.headers holds them), or null. */
export function requestHeader(headers: readonly string[], name: string): string | null {
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === name) return headers[i + 1]!;
  return null;
}
