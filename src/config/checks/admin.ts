// SPEC §4: the admin API never shares the gateway's port, and off loopback it needs a token.
import type { Problem } from '../errors.js';
import { isLoopbackHost } from '../net-address.js';
import { rawListeners } from './listen.js';
import { asMap, asString } from './raw.js';

const DEFAULT_ADMIN_PORT = 9901;

export function checkAdmin(raw: unknown): Problem[] {
  const root = asMap(raw);
  const admin = asMap(root?.['admin']);
  if (!root || !admin) return [];
  const problems: Problem[] = [];
  const host = asString(admin['host']);
  const token = admin['token'];
  if (host !== null && !isLoopbackHost(host) && (token === undefined || token === '')) {
    problems.push({ path: ['admin', 'host'], at: 'value', message: `admin.host ${host} is not loopback, so admin.token must be set` });
  }
  const adminPort = admin['port'] ?? DEFAULT_ADMIN_PORT;
  const clash = rawListeners(root).find((l) => l.port === adminPort);
  if (typeof adminPort === 'number' && adminPort !== 0 && clash !== undefined) {
    problems.push({ path: ['admin', 'port'], at: 'value', message: `admin.port must differ from ${clash.path.join('.')}.port (${adminPort})` });
  }
  return problems;
}
