import type { RequestContext } from './context.js';
import type { Exchange } from './exchange.js';
import { ForwardingExchange } from './forwarding-exchange.js';
import { guarded } from './guard.js';
import { replyProblem } from './problem-reply.js';

/**
 * Reads a request's whole body for a stage that needs all of it (translation, a plugin), within
 * `maxBody` bytes (larger: 413) and `deadline` ms (slower: 408); both close the connection, as
 * the rest of the upload is not read. `onBody` gets the body once it is complete.
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

/** A request body already read whole (and perhaps changed), handed to the later stages in one chunk. */
export class ReadBodyExchange extends ForwardingExchange {
  constructor(real: Exchange, private readonly body: Buffer) {
    super(real);
  }

  override get contentLength(): number { return this.body.length; }
  override get hasBody(): boolean { return this.body.length > 0; }
  override readBody(onChunk: (chunk: Buffer, last: boolean) => void): void { onChunk(this.body, true); }
  override pauseBody(): void {}
  override resumeBody(): void {}
}
