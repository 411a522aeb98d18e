// The WebSocket side of an exchange as the pipeline sees it. src/http/websocket-edge.ts is the
// only implementation over uWS; the websocket stage (src/stages/websocket/) drives it without
// touching uWS objects.

/** What the gateway can do with a request that asks for a WebSocket upgrade (GET with a valid Sec-WebSocket-Key). */
export interface WebSocketUpgrade {
  /** The protocols the client offered (Sec-WebSocket-Protocol), in its order; [] for none. */
  readonly protocols: readonly string[];
  /**
   * Answers 101 and makes the connection a WebSocket whose events go to `session`; `protocol` is
   * the one chosen ('' for none). session.opened runs before this returns. False when the client
   * went away first (nothing was written).
   */
  accept(session: ClientSocketEvents, protocol: string): boolean;
}

/** uWS's send() results. */
export const SEND_BACKPRESSURE = 0;
export const SEND_SUCCESS = 1;
export const SEND_DROPPED = 2;

/** The client's WebSocket, valid from opened() until closed(); every method is a no-op after closed(). */
export interface ClientSocket {
  /** Sends one message; SEND_BACKPRESSURE / SEND_SUCCESS / SEND_DROPPED. `data` is only borrowed for the call. */
  send(data: Uint8Array, binary: boolean): number;
  /** Bytes written but not yet taken by the client's connection. */
  bufferedAmount(): number;
  /** A close frame with this code and reason (a code of 0 sends none), then the connection closes. */
  end(code: number, reason: string | Uint8Array): void;
  /** Cuts the connection without a close frame. */
  terminate(): void;
}

/** What happens on the client's WebSocket, told to whoever accepted the upgrade. */
export interface ClientSocketEvents {
  opened(socket: ClientSocket): void;
  /** A message; `data` is only valid during the call (uWS reuses its memory). */
  message(data: ArrayBuffer, binary: boolean): void;
  /** The client's connection took what was buffered (check bufferedAmount()). */
  drain(): void;
  /** A ping or pong from the client (pings are answered by uWS itself). */
  control(): void;
  /** The client's WebSocket closed: its close code (1005: none given, 1006: no close frame) and reason. */
  closed(code: number, reason: ArrayBuffer): void;
}
