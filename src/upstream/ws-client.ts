// The upstream side of a proxied WebSocket, over the `ws` package: the only module that names it.
import { WebSocket } from 'ws';

/** What happens on an upstream WebSocket, in order: open or failed; then messages, controls and one closed. */
export interface UpstreamSocketEvents {
  open(protocol: string): void;
  /** The handshake failed (no connection, an answer other than 101, the timeout); `status` is that answer's, 0 for none. */
  failed(err: Error & { code?: string }, status: number): void;
  /** `data` is the socket's own (ws hands over a fresh Buffer per message). */
  message(data: Buffer, binary: boolean): void;
  /** A ping or pong from the upstream (ws answers pings itself). */
  control(): void;
  /** After open: the upstream's close code (1005: none given, 1006: the connection was lost) and reason. */
  closed(code: number, reason: Buffer): void;
}

export interface UpstreamSocket {
  send(data: Buffer, binary: boolean): void;
  /** Bytes queued for the upstream's connection and not yet written. */
  readonly bufferedAmount: number;
  /** Stops reading from the upstream's connection (messages already read may still come). */
  pause(): void;
  resume(): void;
  /** A close frame (no code: none given), then the connection ends. */
  close(code?: number, reason?: string | Buffer): void;
  terminate(): void;
}

export interface UpstreamSocketOptions {
  protocols: readonly string[];
  headers: Record<string, string | string[]>;
  maxPayload: number;
  /** Connect plus the upstream's 101 answer. */
  handshakeTimeout: number;
}

/** Opens `url` (ws:// or wss://); `events` hears about it from the next tick on. */
export function openUpstreamSocket(url: string, options: UpstreamSocketOptions, events: UpstreamSocketEvents): UpstreamSocket {
  const ws = new WebSocket(url, [...options.protocols], {
    headers: options.headers,
    perMessageDeflate: false,
    maxPayload: options.maxPayload,
    handshakeTimeout: options.handshakeTimeout,
    followRedirects: false,
  });
  let opened = false;
  let status = 0;
  let failure: (Error & { code?: string }) | null = null;
  ws.on('upgrade', () => {
    status = 101;
  });
  ws.on('open', () => {
    opened = true;
    events.open(ws.protocol);
  });
  ws.on('message', (data: Buffer, binary: boolean) => events.message(data, binary));
  ws.on('ping', () => events.control());
  ws.on('pong', () => events.control());
  ws.on('error', (err: Error & { code?: string }) => {
    failure ??= err;
    const answered = /^Unexpected server response: (\d{3})$/.exec(err.message);
    if (answered !== null) status = Number(answered[1]);
  });
  ws.on('close', (code: number, reason: Buffer) => {
    if (opened) events.closed(code, reason);
    else events.failed(failure ?? new Error('upstream WebSocket closed before it opened'), status);
  });
  return {
    send: (data, binary) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(data, { binary });
    },
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
    pause: () => ws.pause(),
    resume: () => ws.resume(),
    close: (code, reason) => {
      if (ws.readyState === WebSocket.OPEN) ws.close(code, reason);
      else if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
    },
    terminate: () => ws.terminate(),
  };
}
