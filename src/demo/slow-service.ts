import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { commonRoutes } from './common-routes.js';
import { startDrip } from './drip.js';
import { parseIntParam } from './int-param.js';
import { sendJson, sendProblem } from './reply.js';
import { queryParam } from './request-query.js';
import type { DemoRoute } from './route-table.js';

const MAX_WAIT_MS = 60_000;
const DEFAULT_WAIT_MS = 1000;

/** GET /slow?ms=N answers { waited: N } after N ms; a client that leaves cancels the timer. */
function slowRoute(res: HttpResponse, req: HttpRequest): void {
  const ms = parseIntParam(queryParam(req, 'ms'), 0, MAX_WAIT_MS, DEFAULT_WAIT_MS);
  if (ms === null) {
    sendProblem(res, 400, `ms must be an integer between 0 and ${MAX_WAIT_MS}`);
    return;
  }
  const timer = setTimeout(() => res.cork(() => sendJson(res, 200, { waited: ms })), ms);
  // After onAborted, res must not be touched: clearing the timer guarantees that.
  res.onAborted(() => clearTimeout(timer));
}

/** GET /drip?chunks=N&interval=MS&size=B */
function dripRoute(res: HttpResponse, req: HttpRequest): void {
  const chunks = parseIntParam(queryParam(req, 'chunks'), 0, 100_000, 10);
  const interval = parseIntParam(queryParam(req, 'interval'), 0, MAX_WAIT_MS, 100);
  const size = parseIntParam(queryParam(req, 'size'), 1, 1024 * 1024, 1024);
  if (chunks === null || interval === null || size === null) {
    sendProblem(res, 400, 'chunks (0-100000), interval (0-60000 ms) and size (1-1048576 bytes) must be integers');
    return;
  }
  startDrip(res, { chunks, interval, size });
}

export function slowRoutes(): DemoRoute[] {
  return [
    ...commonRoutes('slow'),
    { method: 'get', pattern: '/slow', handler: slowRoute },
    { method: 'get', pattern: '/drip', handler: dripRoute },
  ];
}
