// Process-wide settings: listeners, workers, limits, logging, the admin API.
import { z } from 'zod';
import { ACCESS_FIELDS, DEFAULT_ACCESS_FIELDS } from '../../observability/access-fields.js';
import { MAX_WORKERS } from '../../shm/control-layout.js';
import { isAddressOrCidr, isBindHost } from '../net-address.js';
import { configDirectory, readableFile } from './files.js';
import { duration, port, size } from './scalars.js';

const bindHost = z.string().refine(isBindHost, { error: (issue) => `invalid host ${JSON.stringify(issue.input)}: use an IP address or a host name` });

export const listenSchema = z
  .strictObject({
    host: bindHost.default('0.0.0.0').meta({ description: 'Address to listen on: 0.0.0.0 all IPv4 addresses, :: IPv6 too, 127.0.0.1 this machine only' }),
    port: port.default(8080).meta({ description: 'TCP port; 0 picks a free one (logged at start)' }),
    tls: z
      .strictObject({
        certFile: readableFile('certFile').meta({ description: "PEM certificate (chain); a relative path is taken from the config file's directory" }),
        keyFile: readableFile('keyFile').meta({ description: "PEM private key; a relative path is taken from the config file's directory" }),
      })
      .optional()
      .meta({ description: 'Terminate TLS on this listener (HTTPS only, no plain HTTP)' }),
  })
  .prefault({})
  .meta({ description: 'Where the gateway listens' });

/** At most MAX_WORKERS: the shared control block has a slot for that many (shm/control-layout.ts). */
export const workersSchema = z
  .union([z.literal('auto'), z.number().int().min(1).max(MAX_WORKERS)], { error: `expected "auto" or a whole number of worker threads (1..${MAX_WORKERS})` })
  .default('auto');

export const limitsSchema = z
  .strictObject({
    maxBodySize: size().prefault('1mb').meta({ description: 'Largest request body; a larger one is answered 413' }),
    requestTimeout: duration({ min: 1 }).prefault('30s').meta({ description: 'Time allowed for a request body to arrive (408 after it)' }),
    maxHeaderSize: size({ min: 1024 }).prefault('16kb').meta({ description: 'Largest request head (request line and headers); a larger one is answered 431' }),
    chunkedRequests: z.boolean().default(false).meta({
      description: 'Accept chunked request bodies (default: answer 411). The bundled uWS builds frame chunk extensions wrongly: a desync risk behind a front proxy that reuses connections',
    }),
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
  .meta({ description: 'The admin API, on its own port: /health, /ready, /config, /routes, /upstreams, POST /reload' });

export const serverShape = {
  listen: listenSchema,
  workers: workersSchema.meta({ description: 'Worker threads; auto = available cores' }),
  dataDir: configDirectory('./data').meta({ description: "Directory for gateway data; a relative path is taken from the config file's directory" }),
  shutdownTimeout: duration().prefault('30s').meta({ description: 'How long SIGTERM waits for in-flight requests' }),
  limits: limitsSchema,
  trustedProxies: trustedProxiesSchema,
  log: logSchema,
  admin: adminSchema,
};
