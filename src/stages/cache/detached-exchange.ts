import type { Exchange, HeaderList } from '../../pipeline/exchange.js';
import type { Logger } from '../../observability/logger.js';

/**
 * The downstream side of a request nobody waits for: a stale-while-revalidate refresh, whose
 * client was already answered from the stale entry. It takes the answer and drops it (the cache
 * stage's recording exchange wraps it and stores what comes); an exception in a callback of the
 * refresh is logged and ends only the refresh.
 */
export class DetachedExchange implements Exchange {
  readonly aborted = false;
  finished = false;
  readonly contentLength = 0;
  readonly hasBody = false;
  status = 0;
  readonly bytesWritten = 0;
  readonly upgrade = null;

  constructor(private readonly log: Logger, private readonly context: Record<string, unknown>) {}

  onAbort(): void {}
  readBody(): void {}
  pauseBody(): void {}
  resumeBody(): void {}

  reply(status: number): void { this.end(status); }
  replyNoBody(status: number): void { this.end(status); }
  replyStored(status: number): void { this.end(status); }

  streamStart(status: number, _headers: HeaderList, _totalSize: number): void {
    this.status = status;
  }

  streamWrite(): boolean {
    return true;
  }

  onDrain(): void {}
  streamEnd(): void { this.end(this.status); }
  abort(): void { this.finished = true; }

  fail(err: unknown, where: string): void {
    this.log.error({ ...this.context, where, err }, 'cache refresh failed: exception in the gateway');
    this.finished = true;
  }

  private end(status: number): void {
    this.status = status;
    this.finished = true;
  }
}
