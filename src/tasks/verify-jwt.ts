// piscina task: one JWT verification in a pool thread (src/auth/verify-pool.ts). Thin: the
// check itself is src/auth/jwt-verify.ts, the same code the worker thread runs inline.
import type { CryptoKey } from 'jose';
import { importVerifyKey, verifyJwt, type VerifyResult } from '../auth/jwt-verify.js';
import type { VerifyTask } from '../auth/verify-pool.js';

/** This thread's CryptoKeys by key id and algorithm; bounded (a key set rotates, ids change). */
const keys = new Map<string, Promise<CryptoKey>>();
const MAX_KEYS = 256;

export default async function verify(task: VerifyTask): Promise<VerifyResult> {
  const id = task.keyId + ' ' + task.alg;
  let key = keys.get(id);
  if (key === undefined) {
    if (keys.size >= MAX_KEYS) keys.clear();
    key = importVerifyKey(task.jwk, task.alg);
    keys.set(id, key);
  }
  let cryptoKey: CryptoKey;
  try {
    cryptoKey = await key;
  } catch {
    keys.delete(id);
    return { ok: false, refusal: 'keyType' };
  }
  return verifyJwt(task.token, cryptoKey, task.checks);
}
