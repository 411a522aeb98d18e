// GET /config shows the running config with its secrets replaced (SPEC §4).
import { apiKeyFingerprint } from '../auth/api-keys.js';

const SECRET_KEY = /token|secret|password|passphrase|apikeys?$/i;

/**
 * Header names whose values carry credentials: Authorization and its proxy twin, cookies,
 * API keys (`x-api-key`, `api-key`, `ocp-apim-subscription-key`), tokens, secrets, passwords,
 * sessions and signatures. Broad on purpose: a header shown as redacted costs an operator a
 * look at the file; a credential shown in plain text leaks it.
 */
const SECRET_HEADER = /auth|cookie|token|secret|passw|passphrase|session|credential|signature|(^|[-_])(api-?)?key([-_]|$)/i;

/** Keys whose value is a map of header name to value, or holds such maps (`set` inside it). */
const HEADER_RULES = 'headers';

export const REDACTED = '[redacted]';

/**
 * Credentials inside a URL, wherever the URL sits (cluster.redis, a target, a jwksUri): the
 * password of `scheme://user:password@host`, and query parameters named like secret headers
 * (`?token=`, `?api_key=`).
 */
function redactUrl(text: string): string {
  if (!text.includes('://')) return text;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return text;
  }
  let changed = false;
  if (url.password !== '') {
    url.password = REDACTED;
    changed = true;
  }
  for (const name of [...url.searchParams.keys()]) {
    if (SECRET_HEADER.test(name) && url.searchParams.get(name) !== '') {
      url.searchParams.set(name, REDACTED);
      changed = true;
    }
  }
  return changed ? url.href : text;
}

/** A deep copy of the config with every secret-looking value replaced (for GET /config). */
export function redactConfig(value: unknown): unknown {
  return redact(value, '', false);
}

/** `inHeaders`: below a `headers` key, where keys may be header names as well as config keys. */
function redact(value: unknown, key: string, inHeaders: boolean): unknown {
  // Consumers' API keys: a short fingerprint each, so an operator can tell which key is which.
  if (key === 'apiKeys' && Array.isArray(value)) return value.map((k) => (typeof k === 'string' ? apiKeyFingerprint(k) : REDACTED));
  const secret = SECRET_KEY.test(key) || (inHeaders && SECRET_HEADER.test(key));
  if (secret && value !== '' && value !== null && value !== undefined) {
    return Array.isArray(value) ? value.map(() => REDACTED) : REDACTED;
  }
  if (typeof value === 'string') return redactUrl(value);
  if (Array.isArray(value)) return value.map((v) => redact(v, '', inHeaders));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redact(v, k, inHeaders || k === HEADER_RULES);
    return out;
  }
  return value;
}
