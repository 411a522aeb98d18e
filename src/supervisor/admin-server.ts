import http from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { PROBLEM_CONTENT_TYPE } from '../errors/problem.js';

/** What the admin API reads from and asks of the supervisor. */
export interface AdminPort {
  ready(): boolean;
  readiness(): object;
  config(): object;
  routes(): object[];
  reload(): Promise<{ ok: true; generation: number } | { ok: false; errors: string[] }>;
}

type Answer = { status: number; body: unknown; headers?: Record<string, string> };

/**
 * The admin listener, on its own port and never the gateway's. /health and /ready answer without
 * the token (load balancer probes); everything else needs `Authorization: Bearer <token>` when a
 * token is set.
 */
export function createAdminServer(token: string, port: AdminPort): http.Server {
  const expected = Buffer.from('Bearer ' + token);
  const authorised = (req: http.IncomingMessage): boolean => {
    if (token === '') return true;
    const got = Buffer.from(req.headers.authorization ?? '');
    return got.length === expected.length && timingSafeEqual(got, expected);
  };

  async function route(req: http.IncomingMessage): Promise<Answer> {
    const path = (req.url ?? '/').split('?')[0];
    const method = req.method ?? 'GET';
    if (path === '/health') return method === 'GET' ? { status: 200, body: { status: 'ok' } } : notAllowed('GET');
    if (path === '/ready') return method === 'GET' ? { status: port.ready() ? 200 : 503, body: port.readiness() } : notAllowed('GET');
    if (!authorised(req)) {
      return { status: 401, body: problem(401, 'Unauthorized', 'A valid admin bearer token is required.'), headers: { 'www-authenticate': 'Bearer realm="tollgate-admin"' } };
    }
    switch (path) {
      case '/config': return method === 'GET' ? { status: 200, body: port.config() } : notAllowed('GET');
      case '/routes': return method === 'GET' ? { status: 200, body: port.routes() } : notAllowed('GET');
      case '/reload': {
        if (method !== 'POST') return notAllowed('POST');
        const result = await port.reload();
        return result.ok ? { status: 200, body: { reloaded: true, generation: result.generation } } : { status: 400, body: { reloaded: false, errors: result.errors } };
      }
      default: return { status: 404, body: problem(404, 'Not Found', 'No such admin endpoint.') };
    }
  }

  return http.createServer((req, res) => {
    req.resume();
    route(req).then((a) => {
      const isProblem = a.status >= 400 && typeof a.body === 'object' && a.body !== null && 'title' in a.body;
      res.writeHead(a.status, { 'content-type': isProblem ? PROBLEM_CONTENT_TYPE : 'application/json', 'cache-control': 'no-store', ...a.headers });
      res.end(JSON.stringify(a.body));
    }, (err: Error) => {
      res.writeHead(500, { 'content-type': PROBLEM_CONTENT_TYPE });
      res.end(JSON.stringify(problem(500, 'Internal Server Error', err.message)));
    });
  });
}

function notAllowed(allow: string): Answer {
  return { status: 405, body: problem(405, 'Method Not Allowed', `Use ${allow}.`), headers: { allow } };
}

function problem(status: number, title: string, detail: string): object {
  return { type: 'about:blank', title, status, detail };
}
