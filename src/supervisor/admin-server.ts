import http from 'node:http';
import { createHash, timingSafeEqual } from 'node:crypto';
import { PROBLEM_CONTENT_TYPE } from '../errors/problem.js';
import { PROMETHEUS_CONTENT_TYPE } from '../observability/prometheus-text.js';
import { isLoopbackHostHeader } from './admin-host.js';
import { PurgeError, type PurgeRequest } from './cache-control.js';
import type { UsageRow } from '../metering/usage-meter.js';
import { CSV_CONTENT_TYPE, parseUsageQuery, usageCsv, usageJson, wantsCsv } from '../metering/usage-query.js';
import type { UsageQuery } from '../metering/usage-store.js';
import { DASHBOARD_DATA_PATH, loadDashboardPage } from './dashboard/page.js';

/** What the admin API reads from and asks of the supervisor. */
export interface AdminPort {
  ready(): boolean;
  readiness(): object;
  config(): object;
  /** The routes and the upstreams of the stats snapshot (stats-snapshot.ts), after a metrics flush. */
  routes(): Promise<object[]>;
  upstreams(): Promise<object[]>;
  /** The Prometheus text exposition (prometheus-text.ts). */
  metrics(): Promise<string>;
  /** The dashboard's figures (dashboard/feed.ts): read from what the supervisor holds, never asking the workers. */
  dashboard(): object;
  /** Metered usage, stored and not yet flushed (after the workers pushed theirs). */
  usage(query: UsageQuery): Promise<UsageRow[]>;
  reload(): Promise<{ ok: true; generation: number } | { ok: false; errors: string[] }>;
  /** Removes cached entries; resolves with how many (throws PurgeError for a bad request). */
  purgeCache(req: PurgeRequest): Promise<number>;
}

export interface AdminOptions {
  /** The bearer token; '' when none is set. */
  token: string;
  /** The address the admin listener binds (admin.host): a Host naming it is loopback too. */
  host: string;
}

/** A JSON body, or `text` with its content type (/metrics, and /usage as CSV). */
type Answer = { status: number; body: unknown; headers?: Record<string, string>; text?: { contentType: string; body: string } };

/**
 * The admin listener, on its own port and never the gateway's. /health and /ready answer without
 * the token (load balancer probes); everything else needs `Authorization: Bearer <token>` when a
 * token is set, and a loopback Host when none is (SPEC §4).
 */
export function createAdminServer(options: AdminOptions, port: AdminPort): http.Server {
  const { token } = options;
  const page = loadDashboardPage(token !== '');
  // Digests of equal length, so the comparison takes the same time whatever the length presented.
  const expected = sha256(token);
  const authorised = (req: http.IncomingMessage): boolean => {
    if (token === '') return true;
    const presented = bearerCredentials(req.headers.authorization);
    return presented !== null && timingSafeEqual(sha256(presented), expected);
  };

  async function route(req: http.IncomingMessage): Promise<Answer> {
    const [path, search = ''] = (req.url ?? '/').split('?', 2) as [string, string?];
    const method = req.method ?? 'GET';
    if (path === '/health') return method === 'GET' ? { status: 200, body: { status: 'ok' } } : notAllowed('GET');
    if (path === '/ready') return method === 'GET' ? { status: port.ready() ? 200 : 503, body: port.readiness() } : notAllowed('GET');
    // The probes above answer any Host: load balancers send their own name, or an address, and a
    // 421 would mark a healthy gateway down. They disclose nothing a rebinding page could use.
    // With a token set, the token is what such a page cannot send, so any Host may ask.
    if (token === '' && !isLoopbackHostHeader(req.headers.host, options.host)) {
      return { status: 421, body: problem(421, 'Misdirected Request', 'Without admin.token the admin API answers only requests addressed to localhost, 127.0.0.1 or [::1].') };
    }
    // The dashboard's files hold no figures; the page asks for the token before its first fetch.
    const file = page.get(path);
    if (file !== undefined) {
      return method === 'GET' ? { status: 200, body: null, headers: file.headers, text: { contentType: file.contentType, body: file.body } } : notAllowed('GET');
    }
    if (!authorised(req)) {
      return { status: 401, body: problem(401, 'Unauthorized', 'A valid admin bearer token is required.'), headers: { 'www-authenticate': 'Bearer realm="tollgate-admin"' } };
    }
    switch (path) {
      case '/config': return method === 'GET' ? { status: 200, body: port.config() } : notAllowed('GET');
      case '/routes': return method === 'GET' ? { status: 200, body: await port.routes() } : notAllowed('GET');
      case '/upstreams': return method === 'GET' ? { status: 200, body: await port.upstreams() } : notAllowed('GET');
      case '/metrics': {
        if (method !== 'GET') return notAllowed('GET');
        return { status: 200, body: null, text: { contentType: PROMETHEUS_CONTENT_TYPE, body: await port.metrics() } };
      }
      case DASHBOARD_DATA_PATH: return method === 'GET' ? { status: 200, body: port.dashboard() } : notAllowed('GET');
      case '/usage': return method === 'GET' ? usage(new URLSearchParams(search), req.headers.accept) : notAllowed('GET');
      case '/reload': {
        if (method !== 'POST') return notAllowed('POST');
        const result = await port.reload();
        if (result.ok) return { status: 200, body: { reloaded: true, generation: result.generation } };
        // A problem document; `errors` (FILE:LINE:COL lines) and `reloaded` are its extension members.
        return { status: 400, body: { ...problem(400, 'Bad Request', 'The config was not reloaded; the running config is kept.'), reloaded: false, errors: result.errors } };
      }
      case '/cache': return method === 'DELETE' ? purge(new URLSearchParams(search)) : notAllowed('DELETE');
      default: return { status: 404, body: problem(404, 'Not Found', 'No such admin endpoint.') };
    }
  }

  /** DELETE /cache?prefix=/path or ?key=/path?query[&host=name]: `{ removed: N }`. */
  async function purge(params: URLSearchParams): Promise<Answer> {
    const prefix = params.get('prefix');
    const key = params.get('key');
    if ((prefix === null) === (key === null)) {
      return { status: 400, body: problem(400, 'Bad Request', 'Give one of prefix=/path or key=/path?query (with host=name to purge one host only).') };
    }
    try {
      const removed = await port.purgeCache(prefix !== null ? { prefix } : { key: key!, host: params.get('host') });
      return { status: 200, body: { removed } };
    } catch (err) {
      if (err instanceof PurgeError) return { status: 400, body: problem(400, 'Bad Request', err.message) };
      throw err;
    }
  }

  async function usage(search: URLSearchParams, accept: string | undefined): Promise<Answer> {
    const parsed = parseUsageQuery(search);
    if (!parsed.ok) {
      // `parameter` is an extension member naming the one at fault.
      return { status: 400, body: { ...problem(400, 'Bad Request', `${parsed.parameter}: ${parsed.reason}`), parameter: parsed.parameter } };
    }
    const rows = await port.usage(parsed.query);
    if (wantsCsv(accept)) return { status: 200, body: null, text: { contentType: CSV_CONTENT_TYPE, body: usageCsv(rows) } };
    return { status: 200, body: usageJson(parsed.query, rows) };
  }

  return http.createServer((req, res) => {
    req.resume();
    route(req).then((a) => {
      if (a.text !== undefined) {
        res.writeHead(a.status, { 'content-type': a.text.contentType, 'cache-control': 'no-store', ...a.headers });
        res.end(a.text.body);
        return;
      }
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

/** The credentials of `Authorization: Bearer <credentials>`; the scheme is case-insensitive (RFC 9110 §11.1). */
function bearerCredentials(header: string | undefined): string | null {
  const match = /^bearer +(.+)$/i.exec(header ?? '');
  return match?.[1] ?? null;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
