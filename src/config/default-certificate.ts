// Which certificate of a TLS listener is its default. Apart from the schema so that worker
// threads, which read it, do not load zod.
import type { TlsCertificate } from './schema/listen.js';

/** The certificate a client gets when it sends no SNI name, or one no entry lists: the entry without serverName, else the first. */
export function defaultCertificate(tls: readonly TlsCertificate[]): TlsCertificate {
  return tls.find((entry) => entry.serverName === null) ?? tls[0]!;
}
