// Where a signature check runs: on the worker thread (inline) or in the verification pool.
import type { JwtAlgorithm } from './algorithms.js';
import type { OFFLOAD_MODES } from '../config/schema/auth.js';

export type OffloadMode = (typeof OFFLOAD_MODES)[number];

/** Per algorithm: true = pool. */
export type OffloadRule = (alg: JwtAlgorithm) => boolean;

const ALWAYS: OffloadRule = () => true;
const NEVER: OffloadRule = () => false;
/** `auto`: see AUTO_RULE_WHY. */
const AUTO: OffloadRule = (alg) => alg.startsWith('RS') || alg.startsWith('PS');

export const AUTO_RULE_WHY = 'RSA (RS*, PS*) in the pool, HMAC, ECDSA and EdDSA inline (bench/auth-offload)';

export function offloadRule(mode: OffloadMode): OffloadRule {
  return mode === 'always' ? ALWAYS : mode === 'never' ? NEVER : AUTO;
}
