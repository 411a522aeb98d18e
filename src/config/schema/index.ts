// The whole config file, composed from the area fragments. Cross-field rules live in ../checks/.
import { z } from 'zod';
import { authSchema, consumersSchema } from './auth.js';
import { routesSchema } from './routes.js';
import { strictObjectRefusing } from './scalars.js';
import { serverShape } from './server.js';
import { upstreamsSchema } from './upstreams.js';

export const gatewaySchema = strictObjectRefusing(
  {
    ...serverShape,
    upstreams: upstreamsSchema,
    auth: authSchema,
    consumers: consumersSchema,
    routes: routesSchema,
  },
  'top-level ',
  ['plans', 'rateLimits', 'cache', 'cluster', 'aggregate'],
);

export type GatewaySchema = typeof gatewaySchema;
