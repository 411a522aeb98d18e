// Rate-limit rules that span fields: a limit by consumer needs a route that authenticates, and a
// consumer's plan must be one of `plans`.
import type { Problem } from '../errors.js';
import { asList, asMap, asString } from './raw.js';

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
  const plans = asMap(root?.['plans']) ?? {};
  for (const [name, value] of Object.entries(asMap(root?.['consumers']) ?? {})) {
    const plan = asString(asMap(value)?.['plan']);
    if (plan !== null && !Object.hasOwn(plans, plan)) {
      const known = Object.keys(plans);
      problems.push({
        path: ['consumers', name, 'plan'],
        at: 'value',
        message: `plan "${plan}" is not defined in "plans"${known.length > 0 ? ` (plans: ${known.join(', ')})` : ''}`,
      });
    }
  }
  return problems;
}
