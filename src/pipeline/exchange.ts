// The downstream side of one request as the pipeline sees it. src/http/uws-exchange.ts is the
// only implementation over uWS; stages never touch uWS objects, so they can be driven by any
// implementation of this interface.
import type { WebSocketUpgrade } from './websocket.js';

/**
 * A flat header list: name, value, name, value... Names are strings; a value is a Buffer only when
 * it carries bytes that are not ASCII (obs-text from an upstream), which must pass unchanged.
 */
export type HeaderList = readonly (string | Buffer)[];

export interface Exchange {
  /** The client went away; nothing may be written any more. */
  readonly aborted: boolean;
  /** A complete answer has been written (or the connection closed). */
  readonly finished: boolean;
  /** Declared request body length; -1 when chunked, 0 when there is no body. */
  readonly contentLength: number;
  readonly hasBody: boolean;
  /** The request asks for a WebSocket upgrade the edge can accept; null for any other request. */
  readonly upgrade: WebSocketUpgrade | null;
  /** Set once; called when the client goes away before the answer is complete. */
  onAbort(cb: () => void): void;

  /** Starts delivering the request body. A chunk is owned by the callee (already copied). */
  readBody(onChunk: (chunk: Buffer, last: boolean) => void): void;
  pauseBody(): void;
  resumeBody(): void;

  /** Whole answer in one cork: status line, headers, body. `headers` is a flat name/value list. */
  reply(status: number, headers: HeaderList, body: string | Buffer, closeConnection?: boolean): void;
  /** Answer without a body (HEAD, 204, 304); `reportedLength` is the Content-Length a GET would have. */
  replyNoBody(status: number, headers: HeaderList, reportedLength: number): void;
  /**
   * A stored answer, in one cork as reply() (or replyNoBody() when `body` is null): `head` holds
   * header lines exactly as they go on the wire ("name: value" lines joined by CRLF, without the
   * last CRLF; empty for none), the first name `nameLength` bytes long, written in one piece;
   * `headers` follow them. `head` and `body` are borrowed: used before this returns, never kept.
   */
  replyStored(status: number, head: Uint8Array, nameLength: number, headers: HeaderList, body: Uint8Array | null, reportedLength: number): void;

  /** Begins a streamed answer; nothing is written until the first chunk or the end. */
  streamStart(status: number, headers: HeaderList, totalSize: number): void;
  /**
   * Returns false under backpressure: wait for onDrain before writing more. The chunk is only
   * borrowed for the call (the upstream client reuses its memory): anything kept is copied.
   */
  streamWrite(chunk: Buffer): boolean;
  onDrain(cb: () => void): void;
  streamEnd(): void;
  /** Cuts the connection (e.g. the upstream died mid-body, so the answer cannot be completed). */
  abort(): void;
  /**
   * An exception escaped the stages' code (`where` says which callback caught it): logs it with
   * the request id, lets go of what the request holds (its abort callback runs), and answers a
   * 500 problem, or cuts the connection when the answer has already begun. Never throws. Every
   * callback a stage hands to a timer, a socket or the upstream client ends up here on a throw
   * (see pipeline/guard.ts), so an exception ends one request instead of the worker.
   */
  fail(err: unknown, where: string): void;

  /** Status and bytes written, for the access log. */
  readonly status: number;
  readonly bytesWritten: number;
}
