// A "backend for frontend" for a mobile client: the upstream's JSON answer is cut down to the
// fields the app shows (`fields`, on the object or on each item of a list; with `list`, on the
// items of that top-level list, the rest of the answer dropped), renamed where the app wants
// other names, and marked for short client caching. Answers that are not JSON, or larger
// than the plugin's maxBodySize, pass through unchanged.
import { definePlugin, z } from 'tollgate/plugin';

function shape(value, fields, rename) {
  if (Array.isArray(value)) return value.map((item) => shape(item, fields, rename));
  if (typeof value !== 'object' || value === null) return value;
  const out = {};
  for (const field of fields) {
    if (Object.hasOwn(value, field)) out[rename[field] ?? field] = value[field];
  }
  return out;
}

export default definePlugin({
  name: 'mobile-bff',
  options: z.strictObject({
    fields: z.array(z.string().min(1)).min(1),
    list: z.string().min(1).optional(),
    rename: z.record(z.string(), z.string().min(1)).default({}),
    maxAge: z.number().int().min(0).default(30),
  }),
  setup({ fields, list, rename, maxAge }) {
    return {
      responseJson: true,
      onResponse(res) {
        if (res.status !== 200 || res.json === undefined) return;
        const json = res.json;
        res.json = list === undefined ? shape(json, fields, rename) : { [list]: shape(json?.[list] ?? [], fields, rename) };
        res.headers.set('cache-control', `private, max-age=${maxAge}`);
        res.headers.delete('server');
        res.headers.set('x-shaped-for', 'mobile');
      },
    };
  },
});
