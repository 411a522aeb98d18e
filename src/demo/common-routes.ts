import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import type { DemoService } from './demo-service.js';
import { echoHandler } from './echo.js';
import { fillerBytes, MAX_BYTES, sendOctets } from './filler-bytes.js';
import { parseIntParam } from './int-param.js';
import { type Answer, endBody, jsonAnswer, problemAnswer, sendAnswer, sendProblem, statusLine, writeHead } from './reply.js';
import { rawQuery } from './request-query.js';
import type { DemoRoute } from './route-table.js';

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const NO_CONTROL_CHARS = /^[^\0-\x08\x0a-\x1f\x7f]*$/;
// uWS writes the framing headers itself; a second copy would corrupt the response.
const FRAMING_HEADERS = new Set(['content-length', 'transfer-encoding']);

/** Every status 200-599 answered with its problem body, built once. */
const STATUS_ANSWERS = new Map<number, Answer>();
for (let code = 200; code <= 599; code++) STATUS_ANSWERS.set(code, problemAnswer(code, `demo status ${code}`));

function statusRoute(res: HttpResponse, req: HttpRequest): void {
  const code = parseIntParam(req.getParameter(0), 200, 599);
  const answer = code === null ? undefined : STATUS_ANSWERS.get(code);
  if (code === null || answer === undefined) {
    sendProblem(res, 400, 'status must be an integer between 200 and 599');
  } else if (code === 204 || code === 304) {
    res.writeStatus(answer.status).writeHeader('server', 'tollgate-demo').endWithoutBody(0);
  } else {
    sendAnswer(res, answer);
  }
}

function bytesRoute(res: HttpResponse, req: HttpRequest): void {
  const n = parseIntParam(req.getParameter(0), 0, MAX_BYTES);
  if (n === null) sendProblem(res, 400, `n must be an integer between 0 and ${MAX_BYTES}`);
  else sendOctets(res, fillerBytes().subarray(0, n));
}

/** GET /headers-out?name=value: each query pair becomes a response header. */
function headersOutRoute(res: HttpResponse, req: HttpRequest): void {
  const pairs = [...new URLSearchParams(rawQuery(req))];
  for (const [name, value] of pairs) {
    if (!TOKEN.test(name) || !NO_CONTROL_CHARS.test(value) || FRAMING_HEADERS.has(name.toLowerCase())) {
      sendProblem(res, 400, `header ${JSON.stringify(name)} cannot be echoed`);
      return;
    }
  }
  writeHead(res, statusLine(200), 'application/json');
  for (const [name, value] of pairs) res.writeHeader(name, value);
  endBody(res, JSON.stringify({ headers: Object.fromEntries(pairs) }));
}

/** The endpoints every demo service has: health, echo, small, bytes, status, headers-out. */
export function commonRoutes(service: DemoService): DemoRoute[] {
  const health = jsonAnswer(200, { status: 'ok', service });
  const small = jsonAnswer(200, {
    service,
    message: `a small JSON answer from the ${service} demo upstream`,
    ok: true,
    items: [1, 2, 3],
  });
  const echo = echoHandler(service);
  return [
    { method: 'get', pattern: '/health', handler: (res) => sendAnswer(res, health) },
    { method: 'any', pattern: '/echo', handler: echo },
    { method: 'any', pattern: '/echo/*', handler: echo },
    { method: 'get', pattern: '/small', handler: (res) => sendAnswer(res, small) },
    { method: 'get', pattern: '/bytes/:n', handler: bytesRoute },
    { method: 'get', pattern: '/status/:code', handler: statusRoute },
    { method: 'get', pattern: '/headers-out', handler: headersOutRoute },
  ];
}
