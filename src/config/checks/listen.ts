// Listeners: no two on one port (every worker binds each with SO_REUSEPORT, so two of our own on
// one port would share its connections between an HTTP and an HTTPS app).
import type { ConfigPath, Problem } from '../errors.js';
import { asList, asMap, type RawMap } from './raw.js';

const DEFAULT_LISTEN_PORT = 8080;

export interface RawListener {
  /** The listener's path as written: ['listen'] for the single-mapping form, ['listen', i] in a list. */
  path: ConfigPath;
  port: unknown;
}

/** The listeners of the raw config, in either form (a mapping, or a list of mappings); the default one when absent. */
export function rawListeners(root: RawMap): RawListener[] {
  const listen = root['listen'];
  if (listen === undefined) return [{ path: ['listen'], port: DEFAULT_LISTEN_PORT }];
  const single = asMap(listen);
  if (single !== null) return [{ path: ['listen'], port: single['port'] ?? DEFAULT_LISTEN_PORT }];
  return asList(listen).flatMap((item, index) => {
    const map = asMap(item);
    return map === null ? [] : [{ path: ['listen', index], port: map['port'] ?? DEFAULT_LISTEN_PORT }];
  });
}

export function checkListeners(raw: unknown): Problem[] {
  const root = asMap(raw);
  if (!root) return [];
  const problems: Problem[] = [];
  const first = new Map<number, ConfigPath>();
  for (const { path, port } of rawListeners(root)) {
    if (typeof port !== 'number' || port === 0) continue;
    const earlier = first.get(port);
    if (earlier === undefined) {
      first.set(port, path);
    } else {
      problems.push({ path: [...path, 'port'], at: 'value', message: `port ${port} is already used by ${earlier.join('.')}: each listener needs its own port` });
    }
  }
  return problems;
}
