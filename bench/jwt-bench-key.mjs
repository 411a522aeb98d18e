// The key and token the authenticated bench routes use (`npm run bench` and native-bench): an
// RS256 key pair made for this run, its public key written to a temporary file that the gateway
// config names through TOLLGATE_BENCH_JWT_KEY, and one token signed with it (jose) that every
// request repeats: a repeated token is the common case (a client reuses its access token), so
// this measures the token cache, not a signature check per request.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const dir = mkdtempSync(join(os.tmpdir(), 'tollgate-bench-jwt-'));
process.once('exit', () => rmSync(dir, { recursive: true, force: true }));

export const BENCH_JWT_KEY_FILE = join(dir, 'bench-jwt.pub.pem');
writeFileSync(BENCH_JWT_KEY_FILE, publicKey.export({ type: 'spki', format: 'pem' }));
process.env.TOLLGATE_BENCH_JWT_KEY = BENCH_JWT_KEY_FILE;

export const BENCH_JWT = await new SignJWT({ scope: 'bench' })
  .setProtectedHeader({ alg: 'RS256' })
  .setSubject('bench-client')
  .setIssuedAt()
  .setExpirationTime('1d')
  .sign(privateKey);

/** The header every authenticated bench request carries. */
export const BENCH_AUTH_HEADERS = { authorization: `Bearer ${BENCH_JWT}` };
