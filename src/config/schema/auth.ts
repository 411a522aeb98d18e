// Identity: JWT providers and API keys (top-level `auth`), the consumers that API keys name
// (top-level `consumers`), and what a route asks of a request (route `auth`, `scopes`).
// References between them (a route naming jwt:NAME, scopes without a JWT) are checked in
// ../checks/auth.ts.
import { z } from 'zod';
import { algorithmsForKey, isHmac, JWT_ALGORITHMS, minSecretBytes, type JwtAlgorithm } from '../../auth/algorithms.js';
import { readPublicKeyFile } from '../../auth/key-file.js';
import { isLoopbackHost } from '../net-address.js';
import { readableFile } from './files.js';
import { headerName } from './headers.js';
import { duration, name, orNull } from './scalars.js';

export const OFFLOAD_MODES = ['auto', 'always', 'never'] as const;

/** `jwt:NAME` or `apiKey`, as a route's `auth` lists them. */
export const AUTH_METHOD = /^(jwt:[A-Za-z0-9][A-Za-z0-9_.-]{0,127}|apiKey)$/;
/** RFC 6749 §3.3 scope-token: visible ASCII but space, `"` and `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
/** API keys travel in a header or query parameter: visible ASCII, no spaces. */
const API_KEY = /^[\x21-\x7e]+$/;
export const MIN_API_KEY_LENGTH = 16;

const stringOrList = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)], { error: 'expected a string or a list of strings' });

/** A JWKS URI: https, or http on loopback (a sidecar, a test IdP); null when it is fine. */
export function jwksUriProblem(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `invalid URL ${JSON.stringify(text)}`;
  }
  if (url.protocol === 'https:') return null;
  if (url.protocol === 'http:') {
    return isLoopbackHost(url.hostname) ? null : 'jwksUri must use https:// (plain http:// is allowed on loopback only: keys fetched in clear can be swapped on the way)';
  }
  return 'jwksUri must be an https:// URL';
}

const jwtProviderShape = z.strictObject({
  algorithms: z.array(z.enum(JWT_ALGORITHMS).meta({ title: 'algorithm names' })).min(1).optional().meta({
    description: 'Accepted signature algorithms, an allow-list (HS256/384/512, RS256/384/512, PS256/384/512, ES256/384/512, EdDSA, Ed25519); a token\'s alg outside it is refused. Default: HS256 with secret, from the key with publicKeyFile (RS256, ES256/384/512, EdDSA); required with jwksUri',
  }),
  secret: z.string().min(1).optional().meta({ description: 'HMAC secret for HS256/384/512, at least as many bytes as the hash (32/48/64); keep it in the environment (${JWT_SECRET})' }),
  publicKeyFile: readableFile('publicKeyFile').optional().meta({ description: "PEM public key or certificate, or one JWK (JSON); a relative path is taken from the config file's directory" }),
  jwksUri: z.string().min(1).optional().meta({ description: 'JWKS URL of the identity provider: https://, or http:// on loopback only; fetched at start and refreshed' }),
  issuer: orNull(stringOrList.meta({ description: 'Accepted "iss" claim value(s); omit to accept any' })),
  audience: orNull(stringOrList.meta({ description: 'Accepted "aud" claim value(s); omit to accept any' })),
  clockTolerance: duration().prefault('0s').meta({ description: 'Leeway for exp, nbf and iat against clock skew' }),
  consumerClaim: z.string().min(1).default('sub').meta({ description: 'Claim whose value names the consumer (X-Consumer-Id, logs, rate limits)' }),
  forwardToken: z.boolean().default(false).meta({ description: 'Forward the Authorization header upstream after verifying it (default: removed; the upstream gets X-Consumer-Id)' }),
  jwksRefresh: duration({ min: 1000 }).prefault('10m').meta({ description: 'How often the JWKS is fetched again when its answer has no Cache-Control max-age (a max-age is followed, between jwksCooldown and 1 day)' }),
  jwksCooldown: duration({ min: 1000 }).prefault('30s').meta({ description: 'Least time between two JWKS fetches caused by tokens naming an unknown kid, all workers together' }),
});

/** Resolves the allow-list against the key source, refusing what cannot verify safely. */
const jwtProvider = jwtProviderShape.transform((p, ctx) => {
  const issue = (path: (string | number)[], message: string): void => {
    ctx.addIssue({ code: 'custom', message, path, input: p });
  };
  const sources = (['secret', 'publicKeyFile', 'jwksUri'] as const).filter((k) => p[k] !== undefined);
  if (sources.length !== 1) {
    issue(sources.length === 0 ? [] : [sources[1]!], sources.length === 0
      ? 'a jwt provider needs one of "secret" (HS*), "publicKeyFile" or "jwksUri"'
      : `use one of "secret", "publicKeyFile" or "jwksUri", not ${sources.join(' and ')}`);
    return z.NEVER;
  }
  let algorithms: JwtAlgorithm[];
  if (p.secret !== undefined) {
    algorithms = p.algorithms ?? ['HS256'];
    algorithms.forEach((alg, i) => {
      if (!isHmac(alg)) issue(['algorithms', i], `${alg} verifies with a public key, not a secret: use publicKeyFile or jwksUri for it`);
    });
    const need = Math.max(...algorithms.filter(isHmac).map(minSecretBytes));
    if (Buffer.byteLength(p.secret) < need) issue(['secret'], `the secret must be at least ${need} bytes for ${algorithms.join(', ')} (it is shorter)`);
  } else if (p.publicKeyFile !== undefined) {
    const key = readPublicKeyFile(p.publicKeyFile);
    if (!key.ok) {
      issue(['publicKeyFile'], `publicKeyFile ${JSON.stringify(p.publicKeyFile)} ${key.message}`);
      return z.NEVER;
    }
    const fit = algorithmsForKey(key.jwk.kty, key.jwk.crv);
    if (fit === null) {
      issue(['publicKeyFile'], `publicKeyFile ${JSON.stringify(p.publicKeyFile)} holds a ${key.jwk.kty} key on ${key.jwk.crv ?? 'no curve'}, which cannot verify JWTs here`);
      return z.NEVER;
    }
    algorithms = p.algorithms ?? fit.defaults;
    algorithms.forEach((alg, i) => {
      if (!fit.allowed.includes(alg)) issue(['algorithms', i], `${alg} cannot be verified with the ${key.jwk.kty}${key.jwk.crv ? ' ' + key.jwk.crv : ''} key of publicKeyFile (it verifies ${fit.allowed.join(', ')})`);
    });
  } else {
    const problem = jwksUriProblem(p.jwksUri!);
    if (problem !== null) issue(['jwksUri'], problem);
    if (p.algorithms === undefined) {
      issue([], 'a jwt provider with jwksUri needs "algorithms" (e.g. [RS256]): the allow-list never comes from the token');
      return z.NEVER;
    }
    algorithms = p.algorithms;
    algorithms.forEach((alg, i) => {
      if (isHmac(alg)) issue(['algorithms', i], `${alg} is an HMAC algorithm: a JWKS holds public keys (use "secret" for HS*)`);
    });
  }
  if (new Set(algorithms).size !== algorithms.length) issue(['algorithms'], 'an algorithm is listed twice');
  return {
    algorithms,
    secret: p.secret ?? null,
    publicKeyFile: p.publicKeyFile ?? null,
    jwksUri: p.jwksUri ?? null,
    issuer: p.issuer === null ? null : typeof p.issuer === 'string' ? [p.issuer] : p.issuer,
    audience: p.audience === null ? null : typeof p.audience === 'string' ? [p.audience] : p.audience,
    clockTolerance: p.clockTolerance,
    consumerClaim: p.consumerClaim,
    forwardToken: p.forwardToken,
    jwksRefresh: p.jwksRefresh,
    jwksCooldown: p.jwksCooldown,
  };
});

export const authSchema = z
  .strictObject({
    jwt: z.record(name('jwt provider name'), jwtProvider).prefault({}).meta({ description: 'JWT providers by name; a route lists one as jwt:NAME' }),
    apiKey: orNull(z
      .strictObject({
        header: headerName.default('x-api-key').meta({ description: 'Request header carrying the key, default x-api-key (removed before forwarding)' }),
        query: orNull(z.string().regex(/^[A-Za-z0-9_.~-]+$/, { error: 'expected a query parameter name (letters, digits, "_", ".", "~", "-")' })
          .meta({ description: 'Query parameter that may carry the key instead (removed from the query sent upstream); off unless set' })),
      })
      .meta({ description: 'API keys, listed per consumer (consumers.NAME.apiKeys); a route lists them as apiKey' })),
    offload: z.enum(OFFLOAD_MODES).default('auto').meta({
      description: 'JWT signature checks in a thread pool: always, never (on the worker thread), or auto: ES*/EdDSA in the pool, HS*/RS*/PS* inline (bench/auth-offload)',
    }),
    pool: z
      .strictObject({
        threads: z.number().int().min(1).max(64).default(1).meta({ description: 'Verification threads per worker thread, started when first needed' }),
        maxQueue: z.number().int().min(1).max(1_000_000).default(256).meta({ description: 'Verifications waiting for a pool thread, per worker; beyond it a request is answered 503 with Retry-After' }),
      })
      .prefault({})
      .meta({ description: 'The verification pool (auth.offload)' }),
    tokenCache: z.number().int().min(0).max(1_000_000).default(10_000).meta({
      description: 'Verified tokens remembered per provider and worker thread (until their exp at most), so a repeated token costs no signature check; 0 turns it off',
    }),
  })
  .prefault({})
  .meta({ description: 'Authentication: JWT providers, API keys, where signatures are checked' });

const consumer = z.strictObject(
  {
    apiKeys: z
      .array(z.string()
        .min(MIN_API_KEY_LENGTH, { error: `an API key must be at least ${MIN_API_KEY_LENGTH} characters (e.g. openssl rand -hex 24)` })
        .regex(API_KEY, { error: 'an API key must be visible ASCII without spaces' }))
      .default([])
      .meta({ description: 'This consumer\'s API keys; keep them in the environment (${ACME_KEY}); compared as SHA-256 digests, never logged, /config shows a fingerprint' }),
    plan: orNull(name('plan name').meta({ description: "Name of an entry in plans: its rateLimit applies to this consumer's requests on every route with auth, on top of the route's own rateLimit" })),
  },
);

export const consumersSchema = z.record(name('consumer name'), consumer).prefault({}).meta({ description: 'Known consumers by name (the X-Consumer-Id of requests made with their API keys)' });

export const routeAuthShape = {
  auth: orNull(z
    .array(z.string().regex(AUTH_METHOD, { error: (issue) => `invalid auth method ${JSON.stringify(issue.input)}: expected jwt:NAME or apiKey` }))
    .min(1, { error: 'auth must not be empty (leave it out for a public route)' })
    .meta({ description: 'Credentials accepted, any one suffices: jwt:NAME (Authorization: Bearer) or apiKey; omit for a public route' })),
  scopes: orNull(z
    .array(z.string().regex(SCOPE_TOKEN, { error: (issue) => `invalid scope ${JSON.stringify(issue.input)}: visible ASCII without spaces, quotes or backslashes` }))
    .min(1, { error: 'scopes must not be empty (leave it out to require none)' })
    .meta({ description: 'Scopes the JWT must carry, all of them (scope claim, space-separated, or scp list); else 403' })),
};
