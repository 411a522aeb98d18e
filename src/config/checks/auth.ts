// Identity references: a route's auth methods name configured providers, scopes come with a
// JWT, and no API key belongs to two consumers. Messages never quote an API key.
import type { Problem } from '../errors.js';
import { asList, asMap, asString } from './raw.js';

export function checkAuth(raw: unknown): Problem[] {
  const root = asMap(raw);
  if (!root) return [];
  const auth = asMap(root['auth']);
  const jwt = asMap(auth?.['jwt']) ?? {};
  const apiKeyOn = auth?.['apiKey'] !== undefined && auth['apiKey'] !== null;
  const problems: Problem[] = [];
  asList(root['routes']).forEach((value, index) => {
    const route = asMap(value);
    if (route) problems.push(...checkRoute(route, index, jwt, apiKeyOn));
  });
  problems.push(...checkApiKeys(asMap(root['consumers'])));
  return problems;
}

function checkRoute(route: Record<string, unknown>, index: number, jwt: Record<string, unknown>, apiKeyOn: boolean): Problem[] {
  const problems: Problem[] = [];
  const methods = Array.isArray(route['auth']) ? route['auth'] : null;
  const seen = new Set<string>();
  methods?.forEach((entry, i) => {
    const method = asString(entry);
    if (method === null) return;
    const at = (message: string): Problem => ({ path: ['routes', index, 'auth', i], at: 'value', message });
    if (seen.has(method)) problems.push(at(`"${method}" is listed twice`));
    seen.add(method);
    if (method.startsWith('jwt:')) {
      const name = method.slice(4);
      if (!Object.hasOwn(jwt, name)) problems.push(at(`jwt provider "${name}" is not defined in auth.jwt`));
    } else if (method === 'apiKey' && !apiKeyOn) {
      problems.push(at('"apiKey" needs auth.apiKey (e.g. apiKey: { header: x-api-key })'));
    }
  });
  if (route['scopes'] !== undefined && route['scopes'] !== null) {
    const at: Problem['path'] = ['routes', index, 'scopes'];
    const hasJwt = methods?.some((m) => typeof m === 'string' && m.startsWith('jwt:')) === true;
    if (!hasJwt) problems.push({ path: at, at: 'key', message: 'scopes are read from a JWT: the route\'s "auth" must list a jwt:NAME provider' });
    else if (methods?.includes('apiKey')) {
      problems.push({ path: at, at: 'key', message: 'an API key carries no scopes, so a route with scopes cannot accept "apiKey" (every API-key request would be refused)' });
    }
  }
  return problems;
}

function checkApiKeys(consumers: Record<string, unknown> | null): Problem[] {
  if (consumers === null) return [];
  const owner = new Map<string, string>();
  const problems: Problem[] = [];
  for (const [name, value] of Object.entries(consumers)) {
    asList(asMap(value)?.['apiKeys']).forEach((key, i) => {
      if (typeof key !== 'string') return;
      const first = owner.get(key);
      if (first === undefined) owner.set(key, `consumers.${name}.apiKeys.${i}`);
      else problems.push({ path: ['consumers', name, 'apiKeys', i], at: 'value', message: `this API key is already listed at ${first}: a key names one consumer` });
    });
  }
  return problems;
}
