// The whole config file, composed from the area fragments. Cross-field rules live in ../checks/.
import { z } from 'zod';
import { cacheLimitsSchema } from './cache.js';
import { aggregateSettingsSchema } from './aggregate.js';
import { authSchema, consumersSchema } from './auth.js';
import { plansSchema, rateLimitsSchema } from './rate-limits.js';
import { pluginsSchema } from './plugins.js';
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
    plans: plansSchema,
    rateLimits: rateLimitsSchema,
    aggregate: aggregateSettingsSchema.meta({ description: 'Where aggregation merges answers (routes set aggregate calls)' }),
    cache: cacheLimitsSchema,
    plugins: pluginsSchema,
  },
  'top-level ',
  ['cluster'],
);

export type GatewaySchema = typeof gatewaySchema;
