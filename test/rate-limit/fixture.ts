// Shared pieces of the rate-limit tests: a gateway child with the given routes, requests that keep
// the rate-limit headers, and the SIGUSR2 snapshot.
import type { Test } from 'tap';
import { request, type Dispatcher } from 'undici';
import { startGateway, type GatewayProcess } from '../helpers/gateway-process.js';
import { childEnv, waitForLogSince, type LogLine } from '../system/fixtures/system-fixture.js';

export interface Answer {
  status: number;
  /** RateLimit-Policy, RateLimit and Retry-After, '' when absent. */
  policy: string;
  state: string;
  retryAfter: string;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** A gateway on loopback with `workers` threads, the top-level YAML `extra` and these routes; stopped by the test's teardown. */
export async function gatewayWith(t: Test, routes: string, opts: { extra?: string; workers?: number; env?: Record<string, string> } = {}): Promise<GatewayProcess> {
  const yaml = `
listen: { host: 127.0.0.1, port: 0 }
admin: { host: 127.0.0.1, port: 0 }
log: { level: warn, access: false }
${opts.extra ?? ''}
routes:
${routes}
`;
  const gw = await startGateway(yaml, { args: ['--workers', String(opts.workers ?? 1)], env: childEnv(opts.env) });
  t.teardown(async () => {
    const killer = setTimeout(() => gw.child.kill('SIGKILL'), 10_000);
    await gw.stop('SIGTERM');
    clearTimeout(killer);
  });
  return gw;
}

export async function get(url: string, headers: Record<string, string> = {}, dispatcher?: Dispatcher): Promise<Answer> {
  const res = await request(url, { headers, dispatcher, headersTimeout: 10_000, bodyTimeout: 10_000 });
  const text = await res.body.text();
  const one = (name: string): string => String(res.headers[name] ?? '');
  return { status: res.statusCode, policy: one('ratelimit-policy'), state: one('ratelimit'), retryAfter: one('retry-after'), headers: res.headers, text };
}

/** A route of the SIGUSR2 snapshot: its id, and its figures since start (rateLimited: 429s). */
export interface RouteLine {
  id: string;
  lifetime: { rateLimited?: number };
}

/** Sends SIGUSR2 and returns the stats line it logs. */
export async function statsOf(gw: GatewayProcess): Promise<LogLine> {
  const from = gw.logs.length;
  gw.child.kill('SIGUSR2');
  return waitForLogSince(gw, from, (l) => l.msg === 'stats');
}

/** The `r` of a RateLimit value like `"api";r=37;t=12`. */
export function remainingOf(state: string): number {
  const match = /;r=(\d+);/.exec(state);
  return match === null ? -1 : Number(match[1]);
}
