// Tenant routing: picks the upstream path by tenant. The tenant comes from a header (X-Tenant by
// default) or, with `fromConsumer: true`, from a claim of the request's verified JWT: give the
// route `auth: [jwt:NAME]` and that provider `consumerClaim: org` (the claim naming the tenant),
// and the auth stage, which runs before plugins, sets the consumer from it (rate limits and usage
// are then per tenant too). The path sent upstream gets the tenant's prefix; an unknown tenant is
// refused with 403 before any upstream call.
//
//   plugins:
//     tenants:
//       module: ./examples/plugins/tenant-routing.js
//       options: { tenants: { acme: /acme, globex: /globex }, header: x-tenant }
//   routes:
//     - { id: by-tenant, match: { path: /t/* }, upstream: app, plugins: [tenants] }
import { definePlugin, z } from 'tollgate/plugin';

export default definePlugin({
  name: 'tenant-routing',
  options: z.strictObject({
    /** Tenant → path prefix put in front of what the route's `*` matched. */
    tenants: z.record(z.string().min(1), z.string().regex(/^\/[^?#]*$/, 'a path prefix starting with "/"')),
    header: z.string().min(1).default('x-tenant'),
    /** Take the tenant from the consumer the route's JWT auth set (its provider's consumerClaim). */
    fromConsumer: z.boolean().default(false),
  }),
  setup(options) {
    return {
      onRequest(req) {
        const tenant = options.fromConsumer ? req.consumer : req.headers.get(options.header);
        const prefix = typeof tenant === 'string' && Object.hasOwn(options.tenants, tenant) ? options.tenants[tenant] : undefined;
        if (prefix === undefined) {
          return { status: 403, json: { error: 'unknown tenant', tenant: tenant ?? null } };
        }
        req.path = `${prefix.replace(/\/$/, '')}/${req.params['*'] ?? ''}`;
        req.headers.set('x-tenant-id', tenant);
        req.log({ tenant });
        return undefined;
      },
    };
  },
});
