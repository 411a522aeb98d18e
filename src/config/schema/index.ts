// The whole config file, composed from the area fragments. Cross-field rules live in ../checks/.
import { z } from 'zod';
import { cacheLimitsSchema } from './cache.js';
import { routesSchema } from './routes.js';
import { strictObjectRefusing } from './scalars.js';
import { serverShape } from './server.js';
import { upstreamsSchema } from './upstreams.js';

export const gatewaySchema = strictObjectRefusing(
  {
    ...serverShape,
    upstreams: upstreamsSchema,
    routes: routesSchema,
    cache: cacheLimitsSchema,
  },
  'top-level ',
  ['auth', 'consumers', 'plans', 'rateLimits', 'cluster', 'metering', 'aggregate'],
);

export type GatewaySchema = typeof gatewaySchema;
