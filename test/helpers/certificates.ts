// Self-signed certificates made in the test (openssl, EC P-256: quick to generate), and what a
// TLS client is served: the tests check certificates by fingerprint, never by trusting them.
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';

export interface TestCertificate {
  cert: string;
  key: string;
  /** As node:tls and X509Certificate write it: colon-separated upper-case hex. */
  fingerprint256: string;
}

export function certificateDir(): string {
  return mkdtempSync(join(tmpdir(), 'tollgate-certs-'));
}

/** `NAME.crt` and `NAME.key` in `dir`, for CN=`cn` (default NAME) with the DNS names given. */
export function makeCertificate(dir: string, name: string, opts: { cn?: string; names?: string[] } = {}): TestCertificate {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  const names = opts.names ?? [opts.cn ?? name];
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-subj', `/CN=${opts.cn ?? name}`, '-addext', `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}`,
    '-days', '2', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { cert, key, fingerprint256: new X509Certificate(readFileSync(cert)).fingerprint256 };
}

/** Puts `from`'s files where `to`'s are (a renewal writing over the files the config names). */
export function installCertificate(from: TestCertificate, to: { cert: string; key: string }): void {
  copyFileSync(from.cert, to.cert);
  copyFileSync(from.key, to.key);
}

/** The certificate a TLS client is served on a new connection, asking for `servername` (none: no SNI). */
export function servedCertificate(port: number, servername?: string, host = '127.0.0.1'): Promise<{ fingerprint256: string; subject: string }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host, port, servername, rejectUnauthorized: false }, () => {
      const peer = socket.getPeerCertificate();
      socket.destroy();
      resolve({ fingerprint256: peer.fingerprint256, subject: String(peer.subject.CN ?? '') });
    });
    socket.once('error', reject);
  });
}
