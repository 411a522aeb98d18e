import type { Exchange, HeaderList } from './exchange.js';
import { ForwardingExchange } from './forwarding-exchange.js';

/** A streamed answer held back while its body is gathered. */
export interface GatheredAnswer {
  status: number;
  headers: HeaderList;
  /** The Content-Length the stream announced, -1 when unknown (chunked). */
  totalSize: number;
  chunks: Buffer[];
  size: number;
}

/**
 * For a stage that rewrites whole answer bodies (MessagePack translation, JSON transforms): an
 * answer it claims is taken whole (reply) or gathered from its stream (streamStart, streamWrite,
 * streamEnd) and handed to `rewrite`; other answers pass unchanged. A stream that announces or
 * grows past `limit` bytes goes to `overflow` with what was gathered so far, once, and the rest
 * of the stream then passes through to the wrapped exchange.
 */
export abstract class GatheringExchange extends ForwardingExchange {
  private gathering: GatheredAnswer | null = null;

  constructor(real: Exchange, private readonly limit: number) {
    super(real);
  }

  /** Whether this answer's body is rewritten (read once per answer, before any byte). */
  protected abstract claims(status: number, headers: HeaderList): boolean;
  /** The whole body of a claimed answer. */
  protected abstract rewrite(status: number, headers: HeaderList, body: string | Buffer, closeConnection: boolean | undefined): void;
  /**
   * A claimed stream is larger than the limit: answer now, or begin the stream on the wrapped
   * exchange and write the gathered chunks (the return: the last write's backpressure result).
   */
  protected abstract overflow(gathered: GatheredAnswer): boolean;

  override reply(status: number, headers: HeaderList, body: string | Buffer, closeConnection?: boolean): void {
    if (this.claims(status, headers)) this.rewrite(status, headers, body, closeConnection);
    else this.real.reply(status, headers, body, closeConnection);
  }

  override streamStart(status: number, headers: HeaderList, totalSize: number): void {
    if (!this.claims(status, headers)) {
      this.real.streamStart(status, headers, totalSize);
      return;
    }
    const gathered: GatheredAnswer = { status, headers, totalSize, chunks: [], size: 0 };
    if (totalSize > this.limit) this.overflow(gathered);
    else this.gathering = gathered;
  }

  override streamWrite(chunk: Buffer): boolean {
    const g = this.gathering;
    if (g === null) return this.real.streamWrite(chunk);
    g.size += chunk.length;
    g.chunks.push(Buffer.from(chunk)); // borrowed: the upstream client reuses its memory
    if (g.size <= this.limit) return true;
    this.gathering = null;
    return this.overflow(g);
  }

  override streamEnd(): void {
    const g = this.gathering;
    if (g === null) {
      if (!this.real.finished) this.real.streamEnd();
      return;
    }
    this.gathering = null;
    this.rewrite(g.status, g.headers, g.chunks.length === 1 ? g.chunks[0]! : Buffer.concat(g.chunks, g.size), false);
  }
}
