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
    host: bindHost.default('0.0.0.0'),
    port: port.default(8080),
    tls: z.strictObject({ certFile: readableFile('certFile'), keyFile: readableFile('keyFile') }).optional(),
  })
  .prefault({});

/** At most MAX_WORKERS: the shared control block has a slot for that many (shm/control-layout.ts). */
export const workersSchema = z
  .union([z.literal('auto'), z.number().int().min(1).max(MAX_WORKERS)], { error: `expected "auto" or a whole number of worker threads (1..${MAX_WORKERS})` })
  .default('auto');

export const limitsSchema = z
  .strictObject({
    maxBodySize: size().prefault('1mb'),
    requestTimeout: duration({ min: 1 }).prefault('30s'),
    maxHeaderSize: size({ min: 1024 }).prefault('16kb'),
    chunkedRequests: z.boolean().default(false).meta({
      description: 'Accept chunked request bodies (default: answer 411). The bundled uWS builds frame chunk extensions wrongly: a desync risk behind a front proxy that reuses connections',
    }),
  })
  .prefault({});

export const trustedProxiesSchema = z
  .array(z.string().refine(isAddressOrCidr, { error: (issue) => `invalid address ${JSON.stringify(issue.input)}: use an IP address or a CIDR block like 10.0.0.0/8` }))
  .default([]);

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const logSchema = z
  .strictObject({
    level: z.enum(LOG_LEVELS).default('info'),
    access: z.boolean().default(true),
    sampling: z.number().min(0).max(1).default(1),
    accessFields: z
      .array(z.enum(ACCESS_FIELDS))
      .min(1, { error: 'list at least one field (log.access: false turns access lines off)' })
      .superRefine((fields, ctx) => {
        fields.forEach((field, index) => {
          if (fields.indexOf(field) !== index) ctx.addIssue({ code: 'custom', message: `"${field}" is listed twice`, path: [index], input: field });
        });
      })
      .default([...DEFAULT_ACCESS_FIELDS])
      .meta({ description: 'Access-log fields, in the order written (docs/config.md lists what each holds)' }),
  })
  .prefault({});

/** A non-loopback admin host without a token is refused by the admin check (checks/admin.ts). */
export const adminSchema = z
  .strictObject({
    host: bindHost.default('127.0.0.1'),
    port: port.default(9901),
    token: z.string().default(''),
  })
  .prefault({});

export const serverShape = {
  listen: listenSchema,
  workers: workersSchema.meta({ description: 'Worker threads; auto = available cores' }),
  dataDir: configDirectory('./data').meta({ description: "Directory for gateway data; a relative path is taken from the config file's directory" }),
  shutdownTimeout: duration().prefault('30s'),
  limits: limitsSchema,
  trustedProxies: trustedProxiesSchema,
  log: logSchema,
  admin: adminSchema,
};
