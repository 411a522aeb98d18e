// Route `websocket`: WebSocket upgrades proxied to the route's upstream (src/stages/websocket/).
import { z } from 'zod';
import { duration, size } from './scalars.js';

/**
 * The largest message a route may allow. uWS is given this once per listener (its limit cannot
 * change without a new app), and each route's own maxPayloadLength is applied per message.
 */
export const WEBSOCKET_MAX_PAYLOAD = 16 * 1024 * 1024;
/** The largest maxBackpressure a route may set. */
export const WEBSOCKET_MAX_BACKPRESSURE = 64 * 1024 * 1024;

const settings = z.strictObject({
  idleTimeout: duration({ min: 0 }).prefault('2m').meta({ description: 'Close the WebSocket (1001 on both sides) when no message, ping or pong has passed either way for this long; 0 turns it off' }),
  maxPayloadLength: size({ min: 1, max: WEBSOCKET_MAX_PAYLOAD }).prefault('1mb').meta({
    description: 'Largest message accepted from either side (at most 16mb); a larger one closes both sides with 1009',
  }),
  maxBackpressure: size({ min: 1024, max: WEBSOCKET_MAX_BACKPRESSURE }).prefault('1mb').meta({
    description: 'Bytes held for a slow side: above it the gateway stops reading the upstream until the client drains; a client whose upstream falls this far behind is closed with 1013 (uWS cannot pause reading one WebSocket)',
  }),
});

export type WebSocketConfig = z.output<typeof settings>;

/**
 * `websocket: true` takes the defaults; `false` is the same as leaving it out. Read as the
 * settings object (true: {}) so a mistake inside it is reported at its own key.
 */
export const websocketSchema = z.preprocess(
  (value) => (value === true ? {} : value === false ? null : value),
  settings.nullable(),
).meta({ anyOf: [{ type: 'boolean' }, { type: 'object' }] });
