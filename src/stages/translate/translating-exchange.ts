import type { Exchange, HeaderList } from '../../pipeline/exchange.js';
import { GatheringExchange } from '../../pipeline/gathering-exchange.js';
import { replyProblem } from '../../pipeline/problem-reply.js';
import { jsonToMsgpack } from '../../json/msgpack.js';
import { isJsonType } from '../../json/media-type.js';
import { parseHead } from '../../cache/render-head.js';

export const MSGPACK = 'application/msgpack';
/** A JSON answer gathered to be translated may be at most this large; a larger one fails (502). */
const MAX_TRANSLATED = 32 * 1024 * 1024;

/** Where the Content-Type header of a JSON answer is in `headers`, or -1. */
function jsonContentType(headers: HeaderList): number {
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i] === 'content-type') return isJsonType(String(headers[i + 1])) ? i : -1;
  }
  return -1;
}

/** The headers with the JSON content type swapped for MessagePack's, and Vary: Accept. */
function msgpackHeaders(headers: HeaderList, at: number): (string | Buffer)[] {
  const out = headers.slice();
  out[at + 1] = MSGPACK;
  out.push('vary', 'Accept');
  return out;
}

/**
 * The answer side of translation, for a client that accepts MessagePack: a JSON answer (whole or
 * streamed) is gathered, translated and sent in one reply with Content-Type application/msgpack
 * and Vary: Accept; any other answer passes unchanged. A JSON answer that does not parse is a
 * 502 problem (the upstream's bytes are not passed on as if they were what was asked for).
 */
export class MsgpackAnswerExchange extends GatheringExchange {
  constructor(real: Exchange, private readonly requestId: string) {
    super(real, MAX_TRANSLATED);
  }

  protected claims(_status: number, headers: HeaderList): boolean {
    return jsonContentType(headers) >= 0;
  }

  override replyNoBody(status: number, headers: HeaderList, reportedLength: number): void {
    const at = jsonContentType(headers);
    // A HEAD answer: the length a GET would have had in MessagePack is not known without the body.
    if (at < 0) this.real.replyNoBody(status, headers, reportedLength);
    else this.real.replyNoBody(status, msgpackHeaders(headers, at), -1);
  }

  /**
   * A cached answer (the cache stores the upstream's JSON, as this stage sits outside it): when
   * it is JSON, its stored lines are read back into a list and the body translated like any
   * other; anything else is written as stored.
   */
  override replyStored(status: number, head: Uint8Array, nameLength: number, headers: HeaderList, body: Uint8Array | null, reportedLength: number): void {
    const all = parseHead(head).concat(headers);
    const at = jsonContentType(all);
    if (at < 0) this.real.replyStored(status, head, nameLength, headers, body, reportedLength);
    else if (body === null) this.real.replyNoBody(status, msgpackHeaders(all, at), -1);
    else this.rewrite(status, all, Buffer.from(body.buffer, body.byteOffset, body.length), false);
  }

  protected overflow(): boolean {
    replyProblem(this.real, this.requestId, 'TG_UPSTREAM_FAILED', 'The upstream answer is too large to translate to MessagePack.');
    return true;
  }

  protected rewrite(status: number, headers: HeaderList, body: string | Buffer, closeConnection: boolean | undefined): void {
    const result = jsonToMsgpack(body);
    if (!result.ok) {
      replyProblem(this.real, this.requestId, 'TG_UPSTREAM_FAILED', 'The upstream answered with JSON that does not parse, so it cannot be translated to MessagePack.', ['vary', 'Accept'], closeConnection);
      return;
    }
    this.real.reply(status, msgpackHeaders(headers, jsonContentType(headers)), result.body, closeConnection);
  }
}
