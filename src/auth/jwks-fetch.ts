// One JWKS fetch with undici: the only module that names undici for identity.
import { request } from 'undici';
import type { JWK } from 'jose';

const TIMEOUT_MS = 5_000;
/** A key set is a few kilobytes; anything far larger is not one. */
const MAX_BYTES = 1024 * 1024;
const ASYMMETRIC = new Set(['RSA', 'EC', 'OKP']);

export type JwksFetchResult =
  | { ok: true; keys: JWK[]; maxAgeMs: number | null; skipped: number }
  | { ok: false; error: string };

/**
 * Fetches and reads a JWKS. Keeps the public signature keys it holds (RSA, EC, OKP without
 * private parts, `use` absent or "sig"); a symmetric or private key in a public key set is
 * left out and counted, never used.
 */
export async function fetchJwks(uri: string): Promise<JwksFetchResult> {
  let text: string;
  let cacheControl: string;
  try {
    const res = await request(uri, { method: 'GET', headers: { accept: 'application/json' }, headersTimeout: TIMEOUT_MS, bodyTimeout: TIMEOUT_MS });
    if (res.statusCode !== 200) {
      await res.body.dump();
      return { ok: false, error: `HTTP ${res.statusCode}` };
    }
    cacheControl = String(res.headers['cache-control'] ?? '');
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      if (size > MAX_BYTES) {
        res.body.destroy();
        return { ok: false, error: `the key set is larger than ${MAX_BYTES} bytes` };
      }
      chunks.push(chunk as Buffer);
    }
    text = Buffer.concat(chunks).toString('utf8');
  } catch (err) {
    return { ok: false, error: (err as Error).message || String(err) };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { ok: false, error: 'the answer is not JSON' };
  }
  const list = (doc as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(list)) return { ok: false, error: 'the answer has no "keys" list' };
  const keys: JWK[] = [];
  let skipped = 0;
  for (const k of list) {
    const key = k as JWK | null;
    const usable = key !== null && typeof key === 'object' && typeof key.kty === 'string' && ASYMMETRIC.has(key.kty)
      && key.d === undefined && (key.use === undefined || key.use === 'sig');
    if (usable) keys.push(key);
    else skipped++;
  }
  return { ok: true, keys, maxAgeMs: maxAgeOf(cacheControl), skipped };
}

function maxAgeOf(cacheControl: string): number | null {
  if (/(^|,)\s*(no-store|no-cache)\s*(,|$)/i.test(cacheControl)) return 0;
  const m = /(?:^|,)\s*max-age\s*=\s*"?(\d+)"?/i.exec(cacheControl);
  return m === null ? null : Number(m[1]) * 1000;
}
