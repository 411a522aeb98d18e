// Reads a `publicKeyFile`: a PEM public key or certificate, or one JSON Web Key. Used by the
// config schema (to refuse a bad file at validation) and by each worker (to verify with it).
import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';

export type PublicKeyResult = { ok: true; jwk: JsonWebKey & { kty: string } } | { ok: false; message: string };

export function readPublicKeyFile(file: string): PublicKeyResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { ok: false, message: `cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})` };
  }
  return parsePublicKey(text);
}

export function parsePublicKey(text: string): PublicKeyResult {
  const trimmed = text.trim();
  let key: KeyObject;
  try {
    if (trimmed.startsWith('{')) {
      const jwk = JSON.parse(trimmed) as Record<string, unknown>;
      if (Array.isArray(jwk['keys'])) return { ok: false, message: 'holds a key set (JWKS): give one key, or serve the set and use jwksUri' };
      if (jwk['d'] !== undefined || jwk['kty'] === 'oct') return { ok: false, message: 'holds a private or secret key: give the public key only' };
      key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
    } else {
      // A private key would be turned into its public half here: refuse it instead, so that a
      // private key is never left readable where only a public one belongs.
      if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(trimmed)) return { ok: false, message: 'holds a private key: give the public key (or certificate) only' };
      key = createPublicKey(trimmed);
    }
  } catch (err) {
    return { ok: false, message: `is not a PEM public key, certificate or JWK (${(err as Error).message})` };
  }
  let jwk: JsonWebKey;
  try {
    jwk = key.export({ format: 'jwk' });
  } catch {
    return { ok: false, message: `holds a ${key.asymmetricKeyType ?? 'unknown'} key, which cannot verify JWTs here (use RSA, EC P-256/P-384/P-521 or Ed25519)` };
  }
  if (typeof jwk.kty !== 'string') return { ok: false, message: 'holds a key of unknown type' };
  return { ok: true, jwk: jwk as JsonWebKey & { kty: string } };
}
