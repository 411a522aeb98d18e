// Tenant routing: picks the upstream path by tenant. The tenant comes from a header (X-Tenant by
// default) or, with `claim`, from a claim of the request's JWT (verify it with the route's
// `auth: [jwt:NAME]`: this plugin runs after auth and only reads the token). The path sent
// upstream gets the tenant's prefix; an unknown tenant is refused with 403 before any upstream call.
//
//   plugins:
//     tenants:
//       module: ./examples/plugins/tenant-routing.js
//       options: { tenants: { acme: /acme, globex: /globex }, header: x-tenant }
//   routes:
//     - { id: by-tenant, match: { path: /t/* }, upstream: app, plugins: [tenants] }
import { definePlugin, z } from 'tollgate/plugin';

/** The claims of a JWT (its payload), or null; the signature is the auth stage's business. */
function jwtClaims(authorization) {
  const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  const payload = token?.split('.')[1];
  if (payload === undefined) return null;
  try {
    return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
}

export default definePlugin({
  name: 'tenant-routing',
  options: z.strictObject({
    /** Tenant → path prefix put in front of the request's path (the part the route's `*` matched). */
    tenants: z.record(z.string().min(1), z.string().regex(/^\/[^?#]*$/, 'a path prefix starting with "/"')),
    header: z.string().min(1).default('x-tenant'),
    /** Take the tenant from this JWT claim instead of the header. */
    claim: z.string().min(1).optional(),
  }),
  setup(options) {
    return {
      onRequest(req) {
        const tenant = options.claim === undefined
          ? req.headers.get(options.header)
          : jwtClaims(req.headers.get('authorization'))?.[options.claim];
        const prefix = typeof tenant === 'string' && Object.hasOwn(options.tenants, tenant) ? options.tenants[tenant] : undefined;
        if (prefix === undefined) {
          return { status: 403, json: { error: 'unknown tenant', tenant: tenant ?? null } };
        }
        const rest = req.params['*'] ?? '';
        req.path = `${prefix.replace(/\/$/, '')}/${rest}`;
        req.headers.set('x-tenant-id', tenant);
        req.log({ tenant });
        return undefined;
      },
    };
  },
});
