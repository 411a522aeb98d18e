// The cross-field checks, run on the raw config next to the schema.
import type { Problem } from '../errors.js';
import { checkAdmin } from './admin.js';
import { checkCache } from './cache.js';
import { checkAuth } from './auth.js';
import { checkListeners } from './listen.js';
import { checkPlugins } from './plugins.js';
import { checkRateLimits } from './rate-limits.js';
import { checkRoutes } from './routes.js';
import { checkUpstreams } from './upstreams.js';

export function crossChecks(raw: unknown): Problem[] {
  return [...checkRoutes(raw), ...checkListeners(raw), ...checkAdmin(raw), ...checkAuth(raw), ...checkRateLimits(raw), ...checkUpstreams(raw), ...checkCache(raw), ...checkPlugins(raw)];
}
