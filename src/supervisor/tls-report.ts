// What the supervisor logs about certificates at start and on each reload: which listener and
// server name serve which certificate, and whether a reload changed it.
import { readFileSync } from 'node:fs';
import { defaultCertificate } from '../config/default-certificate.js';
import type { ListenerConfig } from '../config/schema/listen.js';

export interface CertificateLine {
  listener: string;
  /** The SNI name, or null for the default certificate's own entry. */
  serverName: string | null;
  /** Also served to clients that send no SNI name or one no entry lists. */
  default: boolean;
  subject: string;
  names: string[];
  fingerprint256: string;
  notAfter: string;
  expired: boolean;
  /** Reload only: the certificate differs from the one served before. */
  changed?: boolean;
}

/** One line per certificate of every TLS listener; `previous` (the running config) marks what a reload changed. */
export function certificateReport(listen: readonly ListenerConfig[], ports: readonly number[], previous: readonly ListenerConfig[] | null, now = Date.now()): CertificateLine[] {
  return listen.flatMap((listener, i) => {
    if (listener.tls === null) return [];
    const fallback = defaultCertificate(listener.tls);
    const before = previous?.[i]?.tls ?? [];
    return listener.tls.map((entry): CertificateLine => {
      const c = entry.certificate;
      const line: CertificateLine = {
        listener: `${listener.host}:${ports[i] ?? listener.port}`,
        serverName: entry.serverName,
        default: entry === fallback,
        subject: c.subject,
        names: c.names,
        fingerprint256: c.fingerprint256,
        notAfter: c.notAfter,
        expired: Date.parse(c.notAfter) < now,
      };
      if (previous !== null) {
        const old = before.find((o) => o.serverName === entry.serverName);
        line.changed = old?.certificate.fingerprint256 !== c.fingerprint256;
      }
      return line;
    });
  });
}

/**
 * net.ipv4.tcp_migrate_req (Linux 5.14+): 1 hands the connections queued on a closing listen
 * socket to another socket of its SO_REUSEPORT group. A certificate change re-opens listeners;
 * at 0 the kernel resets the few connections still queued on the old socket. null: not Linux, or
 * a kernel without the setting.
 */
export function tcpMigrateReq(): number | null {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/tcp_migrate_req', 'utf8').trim());
  } catch {
    return null;
  }
}
