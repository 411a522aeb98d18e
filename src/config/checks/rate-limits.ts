// Rate-limit rules that span fields: a limit by consumer needs a route that authenticates.
import type { Problem } from '../errors.js';
import { asList, asMap } from './raw.js';

export function checkRateLimits(raw: unknown): Problem[] {
  const root = asMap(raw);
  const problems: Problem[] = [];
  asList(root?.['routes']).forEach((value, index) => {
    const route = asMap(value);
    const limit = asMap(route?.['rateLimit']);
    if (route && limit?.['by'] === 'consumer' && route['auth'] === undefined) {
      problems.push({
        path: ['routes', index, 'rateLimit', 'by'],
        at: 'value',
        message: 'a rate limit by consumer needs the route to authenticate ("auth"): a public route has no consumer; use by: ip or header:NAME',
      });
    }
  });
  return problems;
}
