// The uWS side of proxied WebSockets: the upgrade a stage accepts, the client's socket it then
// drives, and the one WebSocket behaviour every app of a worker registers (worker/listeners.ts).
//
// uWS takes its WebSocket limits once per app (a behaviour cannot change without a new app),
// while routes and their limits change on reload. So the behaviour carries the largest values a
// route may set, and each route's own idleTimeout, maxPayloadLength and maxBackpressure are
// applied by the websocket stage (src/stages/websocket/). Both bundled builds offer the same
// WebSocket API here (checked against each: open runs inside res.upgrade(), no per-socket pause).
import type { HttpRequest, HttpResponse, us_socket_context_t, WebSocket, WebSocketBehavior } from 'uWebSockets.js';
import type { ClientSocket, ClientSocketEvents, WebSocketUpgrade } from '../pipeline/websocket.js';
import { WEBSOCKET_MAX_BACKPRESSURE, WEBSOCKET_MAX_PAYLOAD } from '../config/schema/websocket.js';
import type { UwsExchange } from './uws-exchange.js';

/** What uWS keeps with each upgraded socket (getUserData). */
export interface SocketData {
  events: ClientSocketEvents;
  exchange: UwsExchange;
  socket: UwsClientSocket | null;
}

/** What the edge copies out of an upgrade request for its exchange. */
export interface UpgradeRequest {
  key: string;
  protocols: string;
  context: us_socket_context_t;
}

/** Reads the upgrade headers; null when they are not a WebSocket version 13 handshake (then it is a plain request). */
export function readUpgrade(req: HttpRequest, context: us_socket_context_t): UpgradeRequest | null {
  if (req.getHeader('sec-websocket-version') !== '13') return null;
  return { key: req.getHeader('sec-websocket-key'), protocols: req.getHeader('sec-websocket-protocol'), context };
}

export class UwsUpgrade implements WebSocketUpgrade {
  readonly protocols: readonly string[];

  constructor(private readonly ex: UwsExchange, private readonly res: HttpResponse, private readonly request: UpgradeRequest) {
    this.protocols = request.protocols === '' ? [] : request.protocols.split(',').map((p) => p.trim()).filter((p) => p !== '');
  }

  accept(events: ClientSocketEvents, protocol: string): boolean {
    const ex = this.ex;
    if (ex.aborted || ex.finished) return false;
    ex.upgraded();
    const data: SocketData = { events, exchange: ex, socket: null };
    // Extensions '' declines permessage-deflate: messages are relayed as they come, uncompressed.
    // uWS runs the behaviour's open (which calls events.opened) before upgrade() returns.
    // Not inside res.cork(), although uWS asks for writes made outside its own callbacks to be
    // corked (and prints a one-time warning): an upgrade inside cork() from a later event-loop
    // turn (here: the upstream's WebSocket opened) had uWS close the new WebSocket (1006)
    // synchronously inside upgrade() on about a third of gateway processes, on both builds, for
    // tens of seconds at a time (measured: 30 of 100 first connections over 20 processes; 0 of
    // 100 without cork). The 101 answer is one write either way.
    this.res.upgrade(data, this.request.key, protocol, '', this.request.context);
    return true;
  }
}

/** The WebSockets open on this worker thread, so that a drain can close them (closeWebSockets). */
const openSockets = new Set<UwsClientSocket>();

/**
 * Sends every open WebSocket of this thread a close frame (a drain: 1001, going away); their
 * close handlers close the upstream sides, and their exchanges finish as they go.
 */
export function closeWebSockets(code: number, reason: string): void {
  for (const socket of [...openSockets]) socket.end(code, reason);
}

class UwsClientSocket implements ClientSocket {
  closed = false;
  bytesIn = 0;
  bytesOut = 0;

  constructor(private readonly ws: WebSocket<SocketData>) {}

  send(data: Uint8Array, binary: boolean): number {
    if (this.closed) return 1;
    this.bytesOut += data.byteLength;
    return this.ws.send(data, binary);
  }

  bufferedAmount(): number {
    return this.closed ? 0 : this.ws.getBufferedAmount();
  }

  end(code: number, reason: string | Uint8Array): void {
    if (this.closed) return;
    this.closed = true;
    if (code === 0) this.ws.end();
    else this.ws.end(code, reason);
  }

  terminate(): void {
    if (this.closed) return;
    this.closed = true;
    this.ws.close();
  }
}

/**
 * The behaviour for `app.ws('/*', …)`. uWS hands it only GET requests with a Sec-WebSocket-Key
 * (before the app's any('/*') handler); `upgrade` is the edge, which routes them like any
 * request and leaves the upgrade to the route's websocket stage.
 */
export function webSocketBehavior(upgrade: (res: HttpResponse, req: HttpRequest, context: us_socket_context_t) => void): WebSocketBehavior<SocketData> {
  const guard = (ws: WebSocket<SocketData>, where: string, run: (data: SocketData) => void): void => {
    const data = ws.getUserData();
    try {
      run(data);
    } catch (err) {
      // The exception ends this WebSocket (1011 to the client, the stage's close handler lets go
      // of the upstream), never the worker.
      data.exchange.fail(err, where);
      data.socket?.end(1011, 'gateway error');
    }
  };
  return {
    compression: 0, // uWS.DISABLED
    maxPayloadLength: WEBSOCKET_MAX_PAYLOAD,
    // Above the largest route maxBackpressure by one largest message: the stage stops reading the
    // upstream at the route's value, so uWS never has to drop a message (send() result 2).
    maxBackpressure: WEBSOCKET_MAX_BACKPRESSURE + WEBSOCKET_MAX_PAYLOAD,
    idleTimeout: 0, // per route, in the stage
    sendPingsAutomatically: false,
    upgrade,
    open: (ws) => guard(ws, 'websocket open handler', (data) => {
      const socket = new UwsClientSocket(ws);
      data.socket = socket;
      openSockets.add(socket);
      data.events.opened(socket);
    }),
    message: (ws, message, binary) => guard(ws, 'websocket message handler', (data) => {
      data.socket!.bytesIn += message.byteLength;
      data.events.message(message, binary);
    }),
    drain: (ws) => guard(ws, 'websocket drain handler', (data) => data.events.drain()),
    ping: (ws) => guard(ws, 'websocket ping handler', (data) => data.events.control()),
    pong: (ws) => guard(ws, 'websocket pong handler', (data) => data.events.control()),
    close: (ws, code, reason) => {
      const data = ws.getUserData();
      const socket = data.socket;
      if (socket !== null) {
        socket.closed = true;
        openSockets.delete(socket);
      }
      try {
        data.events.closed(code, reason);
      } catch (err) {
        data.exchange.fail(err, 'websocket close handler');
      }
      data.exchange.socketClosed(socket?.bytesIn ?? 0, socket?.bytesOut ?? 0);
    },
  };
}
