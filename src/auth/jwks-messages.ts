// What the supervisor and the workers say to each other about JWKS key sets (plain data).
import type { JWK } from 'jose';

/** A JWKS as the supervisor last fetched it, sent to every worker after each fetch. */
export interface JwksUpdate {
  uri: string;
  /** The verification keys; null until the first fetch succeeded. */
  keys: JWK[] | null;
  /** Bumped when the keys change. */
  version: number;
  /** Epoch ms: the soonest the supervisor will fetch again for an unknown kid (the shared cooldown). */
  nextRefetchAt: number;
}
