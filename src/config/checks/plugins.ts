// Route references to top-level `plugins`: route `plugins` lists and function routes.
import type { Problem } from '../errors.js';
import { asList, asMap, asString } from './raw.js';

const FIXED_ANSWER_KEYS = ['status', 'json', 'body', 'headers'];

export function checkPlugins(raw: unknown): Problem[] {
  const root = asMap(raw);
  const defined = asMap(root?.['plugins']) ?? {};
  const known = Object.keys(defined);
  const unknown = (name: string): string =>
    `plugin "${name}" is not defined in "plugins"${known.length === 0 ? '' : ` (defined: ${known.join(', ')})`}`;
  const problems: Problem[] = [];
  asList(root?.['routes']).forEach((value, index) => {
    const route = asMap(value);
    if (!route) return;
    const seen = new Set<string>();
    asList(route['plugins']).forEach((entry, at) => {
      const name = asString(entry);
      if (name === null) return;
      const path = ['routes', index, 'plugins', at];
      if (!Object.hasOwn(defined, name)) problems.push({ path, at: 'value', message: unknown(name) });
      else if (seen.has(name)) problems.push({ path, at: 'value', message: `plugin "${name}" is listed twice` });
      seen.add(name);
    });
    const respond = asMap(route['respond']);
    const plugin = asString(respond?.['plugin']);
    if (respond === null || plugin === null) return;
    if (!Object.hasOwn(defined, plugin)) problems.push({ path: ['routes', index, 'respond', 'plugin'], at: 'value', message: unknown(plugin) });
    for (const key of FIXED_ANSWER_KEYS) {
      if (respond[key] !== undefined) {
        problems.push({ path: ['routes', index, 'respond', key], at: 'key', message: `"${key}" does not go with "plugin": the plugin's handle hook makes the whole answer` });
      }
    }
  });
  return problems;
}
