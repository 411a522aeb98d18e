import type { Readable } from 'node:stream';

/** One request to an upstream. `headers` is a flat list (name, value) without framing headers. */
export interface UpstreamRequest {
  method: string;
  /** Path and query, as sent on the request line. */
  path: string;
  headers: readonly string[];
  /** The Host header to send; null: the target's own host[:port]. */
  host: string | null;
  /** null: no body; a Buffer: the whole body; a Readable: streamed (chunked unless bodyLength >= 0). */
  body: Buffer | Readable | null;
  /** Declared length of a streamed body, -1 when unknown. */
  bodyLength: number;
  /** Response timeout: from the request being sent to the head (and between body chunks without idleTimeout). */
  timeout: number;
  /** Once the head came: the longest wait for the next piece of the body; absent: `timeout`. */
  idleTimeout?: number;
}

/** What the caller is told about its request, in order: start, head, data*, then complete or error. */
export interface UpstreamHandler {
  /** Called once at dispatch with a function that abandons the request. */
  onStart(abort: (err: Error) => void): void;
  /** The final response head (interim 1xx answers are not reported). */
  onHead(status: number, headers: (string | Buffer)[], contentLength: number, resume: () => void): void;
  /**
   * Returns false to pause the upstream until `resume` is called. The chunk is borrowed: its
   * memory is reused by the next read, so keep a copy of anything needed after this call.
   */
  onData(chunk: Buffer): boolean;
  onComplete(): void;
  /** Called at most once, and never after onComplete. */
  onError(err: Error & { code?: string }): void;
}

export class UpstreamError extends Error {
  constructor(readonly code: 'TG_UP_TIMEOUT' | 'TG_UP_CONNECT_TIMEOUT' | 'TG_UP_CLOSED' | 'TG_UP_BAD_REQUEST', message: string) {
    super(message);
  }
}
