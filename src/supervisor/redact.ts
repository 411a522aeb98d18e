const SECRET_KEY = /token|secret|password|passphrase|apikeys?$/i;
export const REDACTED = '[redacted]';

/** A deep copy of the config with every secret-looking value replaced (for GET /config). */
export function redactConfig(value: unknown, key = ''): unknown {
  if (SECRET_KEY.test(key) && value !== '' && value !== null && value !== undefined) {
    return Array.isArray(value) ? value.map(() => REDACTED) : REDACTED;
  }
  if (Array.isArray(value)) return value.map((v) => redactConfig(v));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactConfig(v, k);
    return out;
  }
  return value;
}
