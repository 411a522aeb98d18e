// Process-wide settings: listeners, workers, limits, logging, the admin API.
import { z } from 'zod';
import { ACCESS_FIELDS, DEFAULT_ACCESS_FIELDS } from '../../observability/access-fields.js';
import { MAX_WORKERS } from '../../shm/control-layout.js';
import { isAddressOrCidr } from '../net-address.js';
import { configDirectory } from './files.js';
import { bindHost, listenSchema } from './listen.js';
import { duration, orNull, port, size } from './scalars.js';

/** At most MAX_WORKERS: the shared control block has a slot for that many (shm/control-layout.ts). */
export const workersSchema = z
  .union([z.literal('auto'), z.number().int().min(1).max(MAX_WORKERS)], { error: `expected "auto" or a whole number of worker threads (1..${MAX_WORKERS})` })
  .default('auto');

/**
 * Bounds of the timeouts handed to uWS. uSockets checks timeouts every 4 s and counts them in
 * 4-second ticks modulo 240 (us_socket_timeout): a value of one tick (1-4 s) may fire at the very
 * next check, at once, and one of 240 ticks or more wraps around.
 */
export const UWS_TIMEOUT_MIN_MS = 5_000;
export const UWS_TIMEOUT_MAX_MS = 900_000;

const uwsTimeout = () => duration({ min: UWS_TIMEOUT_MIN_MS, max: UWS_TIMEOUT_MAX_MS, wholeSeconds: true });

/** The most connections one worker may be told to keep open; the OS's file limit is the real one. */
export const MAX_CONNECTIONS = 1_000_000;

export const limitsSchema = z
  .strictObject({
    maxBodySize: size().prefault('1mb').meta({ description: 'Largest request body; a larger one is answered 413' }),
    requestTimeout: duration({ min: 1 }).prefault('30s').meta({ description: 'Time allowed for a request body to arrive (408 after it)' }),
    maxHeaderSize: size({ min: 1024 }).prefault('16kb').meta({ description: 'Largest request head (request line and headers); a larger one is answered 431' }),
    chunkedRequests: z.boolean().default(false).meta({
      description: 'Accept chunked request bodies (default: answer 411). The bundled uWS builds frame chunk extensions wrongly: a desync risk behind a front proxy that reuses connections',
    }),
    headersTimeout: orNull(uwsTimeout().meta({
      description: "Time a new connection has to send its first complete request head (slowloris cut-off), closed without an answer after it; the same uWS timer closes a connection whose request body arrives slower than 16 KiB/s (counted over each period of this length). Whole seconds, 5s..15m, kept to within 4 s. Default: the uWS build's own, 30s (current); the legacy build has a fixed 10s and refuses other values",
    })),
    idleTimeout: orNull(uwsTimeout().meta({
      description: "Time a keep-alive connection may wait after an answer until the next request head is complete, closed after it. Whole seconds, 5s..15m, kept to within 4 s. Default: the uWS build's own, 30s (current); the legacy build has a fixed 10s and refuses other values",
    })),
    maxConnections: orNull(z.number().int().min(1).max(MAX_CONNECTIONS).meta({
      description: 'Open client connections per worker; a new one over it is closed at once, unanswered, and counted (connections.refused per worker in the SIGUSR2 snapshot). Default: no limit. Current uWS build only (the legacy one refuses it); setting or removing it needs a restart, a new value applies on reload',
    })),
  })
  .prefault({})
  .meta({ description: 'Limits on what a client may send' });

export const trustedProxiesSchema = z
  .array(z.string().refine(isAddressOrCidr, { error: (issue) => `invalid address ${JSON.stringify(issue.input)}: use an IP address or a CIDR block like 10.0.0.0/8` }))
  .default([])
  .meta({ description: "Peers (load balancers, front proxies) allowed to state the client: their X-Forwarded-For is extended and their Forwarded and X-Real-IP passed on; anyone else's are replaced or removed" });

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const logSchema = z
  .strictObject({
    level: z.enum(LOG_LEVELS).default('info').meta({ description: "Level of the gateway's own lines; access lines and the SIGUSR2 snapshot are written at any level" }),
    access: z.boolean().default(true).meta({ description: 'One JSON access line per request' }),
    sampling: z.number().min(0).max(1).default(1).meta({ description: 'Fraction of successful (status < 400) requests access-logged; errors always are' }),
    accessFields: z
      .array(z.enum(ACCESS_FIELDS))
      .min(1, { error: 'list at least one field (log.access: false turns access lines off)' })
      .superRefine((fields, ctx) => {
        fields.forEach((field, index) => {
          if (fields.indexOf(field) !== index) ctx.addIssue({ code: 'custom', message: `"${field}" is listed twice`, path: [index], input: field });
        });
      })
      .default([...DEFAULT_ACCESS_FIELDS])
      .meta({ description: 'Access-log fields, in the order written (the field table in docs/config.md says what each holds)' }),
  })
  .prefault({})
  .meta({ description: 'Logging: pino JSON lines on stdout' });

/** A non-loopback admin host without a token is refused by the admin check (checks/admin.ts). */
export const adminSchema = z
  .strictObject({
    host: bindHost.default('127.0.0.1').meta({ description: 'Admin API address; one that is not loopback needs a token' }),
    port: port.default(9901).meta({ description: "Admin API port (never the gateway's)" }),
    token: z.string().default('').meta({ description: 'Bearer token for every admin path but /health and /ready; keep it in the environment (${TOLLGATE_ADMIN_TOKEN})' }),
  })
  .prefault({})
  .meta({ description: 'The admin API, on its own port: /health, /ready, /metrics, /config, /routes, /upstreams, /usage, POST /reload' });

/** Usage metering (observability/usage-*.ts): what each consumer sent and received, kept in LMDB under dataDir/usage. */
export const meteringSchema = z
  .strictObject({
    flushInterval: duration({ min: 100, max: 3_600_000 }).prefault('5s').meta({
      description: 'How often usage counts are written to LMDB (dataDir/usage); also on SIGTERM/SIGINT and on reload. A crash (SIGKILL) loses at most this much',
    }),
  })
  .prefault({})
  .meta({ description: 'Usage metering: requests, bytes in and out per consumer, route, UTC day and status class, for GET /usage' });

export const serverShape = {
  listen: listenSchema,
  workers: workersSchema.meta({ description: 'Worker threads; auto = the cores the process may use (its CPU affinity and cgroup CPU quota, rounded up)' }),
  dataDir: configDirectory('./data').meta({ description: "Directory for gateway data; a relative path is taken from the config file's directory" }),
  shutdownTimeout: duration().prefault('30s').meta({ description: 'How long SIGTERM waits for in-flight requests' }),
  limits: limitsSchema,
  trustedProxies: trustedProxiesSchema,
  log: logSchema,
  admin: adminSchema,
  metering: meteringSchema,
  serverTokens: z.boolean().default(false).meta({
    description: "Name the gateway in answers, as nginx's server_tokens: true adds `server: tollgate/VERSION` to each answer without a Server header (an upstream's own passes through either way); false adds none. The `uWebSockets: 20` header of the uWS builds is never sent",
  }),
};
