// Listeners: one mapping or a list of them (HTTP beside HTTPS), each optionally terminating TLS
// with one certificate or several picked by SNI. Normalised to lists: `listen` is always a list
// of listeners, and a listener's `tls` a list of certificates or null.
import { isIP } from 'node:net';
import { z } from 'zod';
import { isBindHost, isHostname } from '../net-address.js';
import { readTlsPair } from '../tls-pair.js';
import { readableFile } from './files.js';
import { port } from './scalars.js';

export const bindHost = z.string().refine(isBindHost, { error: (issue) => `invalid host ${JSON.stringify(issue.input)}: use an IP address or a host name` });

/** A host name as SNI carries it, lowercased; `*.example.com` covers one label under example.com. */
const serverName = z
  .string()
  .superRefine((text, ctx) => {
    const problem = serverNameProblem(text);
    if (problem !== null) ctx.addIssue({ code: 'custom', message: problem, input: text, continue: true });
  })
  .transform((text) => text.toLowerCase());

function serverNameProblem(text: string): string | null {
  if (isIP(text.replace(/^\[|\]$/g, '')) !== 0) {
    return `serverName ${JSON.stringify(text)} is an IP address: SNI carries host names only (a client that connects by address sends none and gets the default certificate)`;
  }
  const name = text.startsWith('*.') ? text.slice(2) : text;
  if (!isHostname(name)) return `invalid serverName ${JSON.stringify(text)}: use a host name such as api.example.com, or *.example.com for one label under it`;
  return null;
}

const tlsCertificate = z
  .strictObject({
    serverName: serverName.optional().meta({
      description: 'Host name (SNI) this certificate answers, *.example.com for one label under it; leave it out on the default certificate',
    }),
    certFile: readableFile('certFile').meta({ description: "PEM certificate (chain); a relative path is taken from the config file's directory" }),
    keyFile: readableFile('keyFile').meta({ description: "PEM private key, unencrypted, of that certificate; a relative path is taken from the config file's directory" }),
  })
  .transform((entry, ctx) => {
    // The files are read here, at validate, start and reload alike: a certificate and key that
    // do not belong together are reported at the key's position instead of failing in uWS.
    const read = readTlsPair(entry.certFile, entry.keyFile);
    if (!read.ok) {
      ctx.addIssue({ code: 'custom', message: read.message, path: [read.field], input: entry[read.field] });
      return z.NEVER;
    }
    return { serverName: entry.serverName ?? null, certFile: entry.certFile, keyFile: entry.keyFile, certificate: read.pair.summary };
  });

export type TlsCertificate = z.output<typeof tlsCertificate>;

const tlsSchema = z
  .union([tlsCertificate, z.array(tlsCertificate).min(1)])
  .superRefine((value, ctx) => {
    if (!Array.isArray(value)) return;
    let defaultAt = -1;
    const seen = new Map<string, number>();
    value.forEach((entry, index) => {
      if (entry.serverName === null) {
        if (defaultAt >= 0) {
          ctx.addIssue({ code: 'custom', path: [index], input: entry,
            message: `only one certificate may leave out serverName (the default one); entry ${defaultAt} already does` });
        } else {
          defaultAt = index;
        }
        return;
      }
      const first = seen.get(entry.serverName);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: [index, 'serverName'], input: entry.serverName,
          message: `serverName ${entry.serverName} is listed twice (entries ${first} and ${index})` });
      } else {
        seen.set(entry.serverName, index);
      }
    });
  })
  .transform((value) => (Array.isArray(value) ? value : [value]));

const listener = z
  .strictObject({
    host: bindHost.default('0.0.0.0').meta({ description: 'Address to listen on: 0.0.0.0 all IPv4 addresses, :: IPv6 too, 127.0.0.1 this machine only' }),
    port: port.default(8080).meta({ description: 'TCP port; 0 picks a free one (logged at start)' }),
    tls: tlsSchema.optional().meta({
      description: 'Terminate TLS on this listener (HTTPS only): one { certFile, keyFile }, or a list with a serverName on each (SNI). '
        + 'A client that sends no name, or one not listed, gets the entry without serverName, else the first entry. Files are re-read on reload',
    }),
  })
  .transform((value) => ({ host: value.host, port: value.port, tls: value.tls ?? null }));

export type ListenerConfig = z.output<typeof listener>;

export const listenSchema = z
  .union([listener, z.array(listener).min(1)])
  .transform((value) => (Array.isArray(value) ? value : [value]))
  .prefault({})
  .meta({ description: 'Where the gateway listens: one listener, or a list of them (HTTP beside HTTPS); every worker serves every listener' });
