// Route `cors`: which browser origins may call the route, answered by src/stages/cors/.
import { z } from 'zod';
import { headerName, isHeaderToken } from './headers.js';
import { duration, orNull } from './scalars.js';

/** An origin as browsers send it: scheme://host[:port], no path; or `*` for any. */
const ORIGIN = /^https?:\/\/[^/\s?#]+$/;

const origin = z
  .string()
  .refine((value) => value === '*' || ORIGIN.test(value), {
    error: (issue) => `invalid origin ${JSON.stringify(issue.input)}: expected scheme://host[:port] (no path) or "*"`,
  })
  .transform((value) => (value === '*' ? value : value.toLowerCase()));

const corsMethod = z
  .string()
  .refine(isHeaderToken, { error: (issue) => `invalid method ${JSON.stringify(issue.input)}` })
  .transform((value) => value.toUpperCase());

export const corsSchema = z
  .strictObject({
    origins: z.array(origin).min(1, { error: 'origins must not be empty' }).meta({ description: 'Allowed origins (scheme://host[:port]), or ["*"] for any' }),
    methods: orNull(z.array(corsMethod).min(1).meta({ description: "Methods a preflight allows; default: the route's match.methods (any requested one when the route takes any)" })),
    headers: orNull(z.array(headerName).min(1).meta({ description: 'Request headers a preflight allows; default: those the preflight asks for' })),
    credentials: z.boolean().default(false).meta({ description: 'Allow cookies and Authorization (Access-Control-Allow-Credentials); needs listed origins, never "*"' }),
    maxAge: orNull(duration({ min: 0 }).meta({ description: 'How long browsers may cache a preflight answer (Access-Control-Max-Age, whole seconds)' })),
  })
  .superRefine((cors, ctx) => {
    if (cors.credentials && cors.origins.includes('*')) {
      ctx.addIssue({ code: 'custom', path: ['credentials'], message: 'credentials: true needs the allowed origins listed: "*" with credentials would let any site act as the user', input: cors.credentials });
    }
  });

export type CorsConfig = z.output<typeof corsSchema>;

/** The methods the route table lists for a route: a CORS route's preflight must reach its stage. */
export function routeTableMethods(methods: readonly string[] | null, cors: CorsConfig | null): readonly string[] | null {
  if (cors === null || methods === null || methods.includes('OPTIONS')) return methods;
  return [...methods, 'OPTIONS'];
}
