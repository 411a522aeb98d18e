import type { HttpResponse } from 'uWebSockets.js';
import { commonRoutes } from './common-routes.js';
import { jsonAnswer, problemAnswer, sendAnswer, sendJson } from './reply.js';
import type { DemoGuard, DemoRoute } from './route-table.js';

const FAIL = problemAnswer(500, 'the flaky demo upstream failed on purpose');
const UNAVAILABLE = problemAnswer(503, 'the flaky demo upstream is in failing mode (POST /toggle to recover)');
const OK = jsonAnswer(200, { ok: true, service: 'flaky' });

export interface FlakyService {
  routes: DemoRoute[];
  /** While failing mode is on, answers 503 for every route but POST /toggle. */
  guard: DemoGuard;
}

/** Each flaky instance has its own failing mode, so parallel tests do not disturb each other. */
export function flakyService(): FlakyService {
  let failing = false;
  const toggle = (res: HttpResponse): void => {
    failing = !failing;
    sendJson(res, 200, { failing });
  };
  const guard: DemoGuard = (res, req) => {
    if (!failing || (req.getCaseSensitiveMethod() === 'POST' && req.getUrl() === '/toggle')) return false;
    sendAnswer(res, UNAVAILABLE);
    return true;
  };
  const routes: DemoRoute[] = [
    ...commonRoutes('flaky'),
    { method: 'get', pattern: '/fail', handler: (res) => sendAnswer(res, FAIL) },
    { method: 'get', pattern: '/reset', handler: (res) => res.close() },
    { method: 'post', pattern: '/toggle', handler: toggle },
    { method: 'get', pattern: '/ok', handler: (res) => sendAnswer(res, OK) },
  ];
  return { routes, guard };
}
