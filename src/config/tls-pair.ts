// A TLS certificate and its private key, read and checked the way uWS will load them (PEM files,
// an unencrypted key that belongs to the certificate). Used by the config schema (validate, start,
// reload: precise errors) and by each worker right before it hands the files to uWS: the legacy
// uWS build crashes the process on a server name whose files it cannot load.
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** What the log and GET /config say about a certificate. */
export interface CertificateSummary {
  /** The leaf certificate's subject, one attribute a line in OpenSSL's form (`CN=api.example.com`). */
  subject: string;
  /** DNS names of the subjectAltName extension (what clients check), in order. */
  names: string[];
  issuer: string;
  /** SHA-256 fingerprint of the leaf certificate, colon-separated hex (as `openssl x509 -fingerprint -sha256`). */
  fingerprint256: string;
  notBefore: string;
  notAfter: string;
  /** Certificates in the file: the leaf and its chain. */
  chainLength: number;
}

export interface TlsPair {
  summary: CertificateSummary;
  /** SHA-256 over both files' bytes: a change to either means uWS must load them again. */
  digest: string;
}

export type TlsPairResult = { ok: true; pair: TlsPair } | { ok: false; field: 'certFile' | 'keyFile'; message: string };

const PEM_CERTIFICATE = '-----BEGIN CERTIFICATE-----';

export function readTlsPair(certFile: string, keyFile: string): TlsPairResult {
  let certBytes: Buffer;
  let keyBytes: Buffer;
  try {
    certBytes = readFileSync(certFile);
  } catch (err) {
    return { ok: false, field: 'certFile', message: `certFile ${certFile} cannot be read (${errorCode(err)})` };
  }
  try {
    keyBytes = readFileSync(keyFile);
  } catch (err) {
    return { ok: false, field: 'keyFile', message: `keyFile ${keyFile} cannot be read (${errorCode(err)})` };
  }
  const certText = certBytes.toString('latin1');
  const chainLength = certText.split(PEM_CERTIFICATE).length - 1;
  if (chainLength === 0) {
    return { ok: false, field: 'certFile', message: `certFile ${certFile} holds no PEM certificate (a "${PEM_CERTIFICATE}" block)` };
  }
  let cert: X509Certificate;
  try {
    // X509Certificate reads the first PEM block: the leaf, which clients check.
    cert = new X509Certificate(certText.slice(certText.indexOf(PEM_CERTIFICATE)));
  } catch (err) {
    return { ok: false, field: 'certFile', message: `certFile ${certFile} is not a valid PEM certificate (${cryptoReason(err)})` };
  }
  let key: ReturnType<typeof createPrivateKey>;
  try {
    key = createPrivateKey({ key: keyBytes, format: 'pem' });
  } catch (err) {
    const reason = cryptoReason(err);
    const message = /passphrase|encrypted|bad decrypt/i.test(reason) || keyBytes.includes('ENCRYPTED')
      ? `keyFile ${keyFile} is encrypted: Tollgate takes an unencrypted PEM private key (decrypt it with openssl pkey -in KEY -out KEY.plain)`
      : `keyFile ${keyFile} is not a PEM private key (${reason})`;
    return { ok: false, field: 'keyFile', message };
  }
  if (!cert.checkPrivateKey(key)) {
    return { ok: false, field: 'keyFile', message: `keyFile ${keyFile} is not the private key of certFile ${certFile} (${oneLine(cert.subject)}): the files do not belong together` };
  }
  const digest = createHash('sha256').update(certBytes).update('\0').update(keyBytes).digest('hex');
  return {
    ok: true,
    pair: {
      digest,
      summary: {
        subject: oneLine(cert.subject),
        names: dnsNames(cert.subjectAltName),
        issuer: oneLine(cert.issuer),
        fingerprint256: cert.fingerprint256,
        notBefore: new Date(cert.validFrom).toISOString(),
        notAfter: new Date(cert.validTo).toISOString(),
        chainLength,
      },
    },
  };
}

function dnsNames(altNames: string | undefined): string[] {
  if (altNames === undefined) return [];
  return altNames.split(', ').filter((entry) => entry.startsWith('DNS:')).map((entry) => entry.slice(4));
}

const oneLine = (dn: string): string => dn.split('\n').filter((part) => part !== '').join(', ');

function errorCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? String(err);
}

function cryptoReason(err: unknown): string {
  const e = err as { reason?: string; message?: string };
  return e.reason ?? e.message ?? String(err);
}
