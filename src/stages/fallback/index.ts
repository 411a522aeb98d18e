import type { RespondConfig } from '../../config/types.js';
import { fixedAnswer } from '../respond/index.js';
import type { Exchange, HeaderList } from '../../pipeline/exchange.js';
import { ForwardingExchange } from '../../pipeline/forwarding-exchange.js';
import type { StageFactory } from '../../pipeline/types.js';
import { isUpstreamFailure } from '../../pipeline/upstream-failure.js';

/** The route's `fallback` answer, built once: status, headers, body. */
interface FallbackAnswer {
  status: number;
  headers: string[];
  body: Buffer;
}

/**
 * Route `fallback`: when the upstream fails (a 500, 502, 503 or 504 from it, or one the gateway
 * makes for a refused, reset or timed-out call, an invalid answer or no target, see
 * pipeline/upstream-failure.ts), the client gets this answer instead. It sits outside the cache
 * stage, so a stale entry the cache may serve (stale-if-error) comes first. An answer that had
 * begun streaming before the upstream broke cannot be replaced: the connection is cut as usual.
 */
export const fallbackStage: StageFactory = (route, _deps, next) => {
  if (route.fallback === null || next === null) return null;
  const answer = buildAnswer(route.fallback, route.headers.response.set);
  return (ctx) => {
    ctx.exchange = new FallbackExchange(ctx.exchange, answer, ctx.method === 'HEAD');
    next(ctx);
  };
};

function buildAnswer(spec: RespondConfig, responseSet: Readonly<Record<string, string>>): FallbackAnswer {
  const { headers, body } = fixedAnswer(spec, { ...spec.headers, ...responseSet });
  // Never stored by a cache downstream of the gateway: it stands in for an answer that failed.
  if (!headers.includes('cache-control')) headers.push('cache-control', 'no-store');
  return { status: spec.status, headers, body };
}

class FallbackExchange extends ForwardingExchange {
  /** A failure's streamed body is dropped: the fallback was answered instead. */
  private dropping = false;

  constructor(inner: Exchange, private readonly answer: FallbackAnswer, private readonly head: boolean) {
    super(inner);
  }

  override get finished(): boolean {
    return this.dropping || this.real.finished;
  }

  private give(): void {
    const a = this.answer;
    if (this.head || a.status === 204 || a.status === 304) this.real.replyNoBody(a.status, a.headers, this.head ? a.body.length : -1);
    else this.real.reply(a.status, a.headers, a.body);
  }

  override reply(status: number, headers: HeaderList, body: string | Buffer, closeConnection?: boolean): void {
    // A failure that closes the connection (an early answer to an upload) keeps its close.
    if (isUpstreamFailure(status) && closeConnection !== true) this.give();
    else super.reply(status, headers, body, closeConnection);
  }

  override replyNoBody(status: number, headers: HeaderList, reportedLength: number): void {
    if (isUpstreamFailure(status)) this.give();
    else super.replyNoBody(status, headers, reportedLength);
  }

  override streamStart(status: number, headers: HeaderList, totalSize: number): void {
    if (!isUpstreamFailure(status)) {
      super.streamStart(status, headers, totalSize);
      return;
    }
    this.dropping = true;
    this.give();
  }

  override streamWrite(chunk: Buffer): boolean {
    return this.dropping ? true : super.streamWrite(chunk);
  }

  override streamEnd(): void {
    if (!this.dropping) super.streamEnd();
  }
}
