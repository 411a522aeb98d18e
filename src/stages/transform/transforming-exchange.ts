import type { Exchange, HeaderList } from '../../pipeline/exchange.js';
import { GatheringExchange, type GatheredAnswer } from '../../pipeline/gathering-exchange.js';
import { replyProblem } from '../../pipeline/problem-reply.js';
import { isJsonFamilyType } from '../../json/media-type.js';
import { runJsonProgram, type JsonProgram } from './json-program.js';

/** How a route's answers are transformed; built once per route, shared by its requests. */
export interface ResponseTransform {
  program: JsonProgram;
  /** A body that is not JSON: true answers 502, false passes it untouched. */
  invalidIsError: boolean;
  maxBody: number;
  /** Called when a body streams through untransformed because it is larger than maxBody. */
  oversized: (requestId: string, size: number) => void;
}

/**
 * Whether an answer is transformed: a 2xx (an error answer, the upstream's or the gateway's own
 * problem+json, reaches the client as it was sent) labelled JSON or +json.
 */
function transformable(status: number, headers: HeaderList): boolean {
  if (status < 200 || status > 299) return false;
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i] === 'content-type') return isJsonFamilyType(String(headers[i + 1]));
  }
  return false;
}

/**
 * A content-coded (gzip...) body cannot be read here; the stage asks upstreams for identity, so
 * this is an upstream that compresses regardless, and its answer counts as one that does not parse.
 */
function contentCoded(headers: HeaderList): boolean {
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i] === 'content-encoding') return String(headers[i + 1]).trim().toLowerCase() !== 'identity';
  }
  return false;
}

/**
 * The answer side of a route's `transform.response`: a JSON answer, whole or streamed, is gathered
 * (up to maxBody), transformed and sent in one reply, its Content-Length that of the new body.
 * Wraps the exchange before any translation to MessagePack happens, so a MessagePack client gets
 * the transformed answer translated.
 */
export class TransformingExchange extends GatheringExchange {
  constructor(real: Exchange, private readonly requestId: string, private readonly t: ResponseTransform) {
    super(real, t.maxBody);
  }

  protected claims(status: number, headers: HeaderList): boolean {
    return transformable(status, headers);
  }

  // HEAD, 204, 304: no body to change; the length a GET would have is not known without it.
  override replyNoBody(status: number, headers: HeaderList, reportedLength: number): void {
    this.real.replyNoBody(status, headers, transformable(status, headers) ? -1 : reportedLength);
  }

  protected rewrite(status: number, headers: HeaderList, body: string | Buffer, closeConnection: boolean | undefined): void {
    const size = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
    if (size === 0) {
      this.real.reply(status, headers, body, closeConnection);
      return;
    }
    if (size > this.t.maxBody) {
      this.t.oversized(this.requestId, size);
      this.real.reply(status, headers, body, closeConnection);
      return;
    }
    const out = contentCoded(headers) ? null : runJsonProgram(this.t.program, body);
    if (out !== null) this.real.reply(status, headers, out, closeConnection);
    else if (this.t.invalidIsError) replyProblem(this.real, this.requestId, 'TG_UPSTREAM_FAILED', 'The upstream answered with a body labelled JSON that does not parse (or is content-coded), so the route\'s transform cannot apply.', null, closeConnection);
    else this.real.reply(status, headers, body, closeConnection);
  }

  protected overflow(g: GatheredAnswer): boolean {
    this.t.oversized(this.requestId, g.totalSize >= 0 ? g.totalSize : g.size);
    this.real.streamStart(g.status, g.headers, g.totalSize);
    let more = true;
    for (const chunk of g.chunks) more = this.real.streamWrite(chunk);
    return more;
  }
}
