// Where a signature check runs: on the worker thread (inline) or in the verification pool.
import type { JwtAlgorithm } from './algorithms.js';
import type { OFFLOAD_MODES } from '../config/schema/auth.js';

export type OffloadMode = (typeof OFFLOAD_MODES)[number];

/** Per algorithm: true = pool. */
export type OffloadRule = (alg: JwtAlgorithm) => boolean;

const ALWAYS: OffloadRule = () => true;
const NEVER: OffloadRule = () => false;
/**
 * `auto`, from bench/auth-offload (table in bench/README.md): the pool cut the worker thread's
 * time per check by about half for every algorithm, but cost 25-45 µs more CPU per check in all
 * (a message each way). For RS256 that bought as many checks per second as inline; for HS256
 * (HMAC is cheap, the hop is most of the cost) and ES256 inline did 1.6-2x more. So RSA goes to
 * the pool, HMAC, ECDSA and EdDSA stay on the worker thread (jose verifies through WebCrypto,
 * whose signature math already runs on libuv's threadpool either way).
 */
const AUTO: OffloadRule = (alg) => alg.startsWith('RS') || alg.startsWith('PS');

export function offloadRule(mode: OffloadMode): OffloadRule {
  return mode === 'always' ? ALWAYS : mode === 'never' ? NEVER : AUTO;
}
