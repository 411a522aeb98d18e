// Rules for the response cache and route fallbacks that span keys: what a route needs for them to
// apply, and the bounds of the cache against each other.
import type { Problem } from '../errors.js';
import { MIN_MAX_SIZE } from '../schema/cache.js';
import { parseSize } from '../units.js';
import { asList, asMap } from './raw.js';

const DEFAULT_MAX_SIZE = 1024 * 1024 * 1024;
const DEFAULT_MAX_ENTRY_SIZE = 8 * 1024 * 1024;

export function checkCache(raw: unknown): Problem[] {
  const root = asMap(raw);
  if (!root) return [];
  const problems: Problem[] = [];
  const limits = asMap(root['cache']);
  if (limits) {
    const maxSize = sizeOr(limits['maxSize'], DEFAULT_MAX_SIZE);
    const maxEntrySize = sizeOr(limits['maxEntrySize'], DEFAULT_MAX_ENTRY_SIZE);
    // A maxSize under the schema's minimum has its own error already.
    if (maxSize !== null && maxSize >= MIN_MAX_SIZE && maxEntrySize !== null && maxEntrySize > maxSize / 4) {
      problems.push({
        path: ['cache', limits['maxEntrySize'] === undefined ? 'maxSize' : 'maxEntrySize'], at: 'value',
        message: `cache.maxEntrySize (${maxEntrySize} bytes) must be at most a quarter of cache.maxSize (${maxSize} bytes)`,
      });
    }
  }
  asList(root['routes']).forEach((value, index) => {
    const route = asMap(value);
    if (!route) return;
    const at = (key: string, message: string): Problem => ({ path: ['routes', index, key], at: 'key', message });
    const hasUpstream = route['upstream'] !== undefined;
    for (const key of ['cache', 'fallback']) {
      if (route[key] !== undefined && !hasUpstream && route['respond'] !== undefined) problems.push(at(key, `"${key}" applies only to routes with an "upstream"`));
    }
    const fallback = asMap(route['fallback']);
    if (fallback && fallback['json'] !== undefined && fallback['body'] !== undefined) {
      problems.push({ path: ['routes', index, 'fallback', 'body'], at: 'key', message: 'use either "json" or "body", not both' });
    }
    const methods = asMap(route['match'])?.['methods'];
    if (route['cache'] !== undefined && Array.isArray(methods)) {
      const listed = methods.filter((m): m is string => typeof m === 'string').map((m) => m.toUpperCase());
      if (listed.length > 0 && !listed.includes('GET') && !listed.includes('HEAD')) {
        problems.push(at('cache', `only GET and HEAD answers are cached, and match.methods (${listed.join(', ')}) has neither`));
      }
    }
  });
  return problems;
}

/** The size in bytes, the default when absent, null when invalid (the schema reports that). */
function sizeOr(value: unknown, fallback: number): number | null {
  if (value === undefined) return fallback;
  const parsed = parseSize(value);
  return parsed.ok ? parsed.value : null;
}
