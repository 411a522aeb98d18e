// Where a signature check runs: on the worker thread (inline) or in the verification pool.
import type { JwtAlgorithm } from './algorithms.js';
import type { OFFLOAD_MODES } from '../config/schema/auth.js';

export type OffloadMode = (typeof OFFLOAD_MODES)[number];

/** Per algorithm: true = pool. */
export type OffloadRule = (alg: JwtAlgorithm) => boolean;

const ALWAYS: OffloadRule = () => true;
const NEVER: OffloadRule = () => false;
/**
 * `auto`, from bench/auth-offload (tables in bench/README.md). What held in every run: a check
 * in the pool takes 35-50 µs of the worker thread instead of 70-280, but 35-100 µs more CPU in
 * all (a message each way). That extra is a third of an ECDSA check (inline ~130-155 µs of
 * CPU), two thirds of an RSA one (~60-80: RSA verification with e=65537 is cheap) and double an
 * HMAC one (~45-65, mostly jose and WebCrypto plumbing). So the curves (ES*, EdDSA) go to the
 * pool, where the worker thread saves most for the least; HMAC and RSA stay inline. Checks
 * per second swung 3x between runs on the shared 2-core machine and decided nothing.
 */
const AUTO: OffloadRule = (alg) => alg.startsWith('ES') || alg === 'EdDSA' || alg === 'Ed25519';

export function offloadRule(mode: OffloadMode): OffloadRule {
  return mode === 'always' ? ALWAYS : mode === 'never' ? NEVER : AUTO;
}
