import type { RequestContext } from './context.js';
import type { Exchange } from './exchange.js';
import { ForwardingExchange } from './forwarding-exchange.js';
import { guarded } from './guard.js';
import { replyProblem } from './problem-reply.js';

/**
 * Reads the request body whole for a stage that rewrites it (MessagePack translation, JSON
 * transforms), then calls `onBody` with it. Over `maxBody` bytes (declared or arriving) the answer
 * is a 413 problem; a body that has not arrived within `deadline` ms a 408 one; both close the
 * connection, as the rest of the upload is not read.
 */
export function readWholeBody(ctx: RequestContext, maxBody: number, deadline: number, onBody: (body: Buffer) => void): void {
  const ex = ctx.exchange;
  const tooLarge = (): void => replyProblem(ex, ctx.requestId, 'TG_BODY_TOO_LARGE', `The request body exceeds ${maxBody} bytes.`, null, true);
  if (ex.contentLength > maxBody) {
    tooLarge();
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let done = false;
  const timer = setTimeout(guarded(ex, 'request body timer', () => {
    if (done || ex.finished) return;
    done = true;
    replyProblem(ex, ctx.requestId, 'TG_REQUEST_TIMEOUT', 'The request body did not arrive in time.', null, true);
  }), deadline);
  ex.onAbort(() => clearTimeout(timer));
  ex.readBody((chunk, last) => {
    if (done) return;
    size += chunk.length;
    if (size > maxBody) {
      done = true;
      clearTimeout(timer);
      tooLarge();
      return;
    }
    chunks.push(chunk); // owned: the exchange hands over copies
    if (!last) return;
    done = true;
    clearTimeout(timer);
    onBody(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
  });
}

/** A request whose body was read whole and rewritten: later stages read `body` instead. */
export class ReplacedBodyExchange extends ForwardingExchange {
  constructor(real: Exchange, private readonly body: Buffer) {
    super(real);
  }

  override get contentLength(): number { return this.body.length; }
  override get hasBody(): boolean { return this.body.length > 0; }
  override readBody(onChunk: (chunk: Buffer, last: boolean) => void): void { onChunk(this.body, true); }
  override pauseBody(): void {}
  override resumeBody(): void {}
}
