import type { TemplatedApp } from 'uWebSockets.js';

/** The largest message the demo echo takes (uWS's default is 16 KiB). */
const MAX_MESSAGE = 1024 * 1024;

/**
 * WS /ws/echo on every demo service: each message comes back as it was sent (text as text,
 * binary as binary); the message "close CODE REASON" closes with that code and reason instead.
 * The default config proxies it as the `live` route: README, WebSockets.
 */
export function mountWebSocketEcho(app: TemplatedApp): void {
  app.ws('/ws/echo', {
    maxPayloadLength: MAX_MESSAGE,
    maxBackpressure: 4 * MAX_MESSAGE,
    idleTimeout: 120,
    message: (ws, message, binary) => {
      if (!binary) {
        const text = Buffer.from(message).toString();
        const close = /^close (\d{4})(?: (.*))?$/.exec(text);
        if (close !== null) {
          ws.end(Number(close[1]), close[2] ?? '');
          return;
        }
      }
      ws.send(message, binary);
    },
  });
}
