import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { commonRoutes } from './common-routes.js';
import { parseIntParam } from './int-param.js';
import { problemAnswer, sendAnswer, sendJson, sendProblem } from './reply.js';
import { queryParam } from './request-query.js';
import type { DemoRoute } from './route-table.js';

// Order ids encode their user: order 4202 is the second order of user 42.
const ORDERS_PER_USER = 2;
const MAX_USER = 1e12;
const ORDER_NOT_FOUND = problemAnswer(404, 'order ids are numeric');

interface Order {
  id: number;
  user: number;
  total: number;
  currency: string;
  status: string;
}

function orderById(id: number): Order {
  const user = Math.floor(id / 100);
  return { id, user, total: 10 + (id % 100) * 5.5, currency: 'EUR', status: id % 2 === 0 ? 'shipped' : 'paid' };
}

function ordersOfUser(user: number): Order[] {
  return Array.from({ length: ORDERS_PER_USER }, (_, i) => orderById(user * 100 + i + 1));
}

/** GET /orders?user=ID lists that user's orders; without `user`, those of users 1-3. */
function listOrders(res: HttpResponse, req: HttpRequest): void {
  const raw = queryParam(req, 'user');
  if (raw === '') {
    sendJson(res, 200, { user: null, items: [1, 2, 3].flatMap(ordersOfUser) });
    return;
  }
  const user = parseIntParam(raw, 0, MAX_USER);
  if (user === null) sendProblem(res, 400, 'user must be a numeric id');
  else sendJson(res, 200, { user, items: ordersOfUser(user) });
}

function getOrder(res: HttpResponse, req: HttpRequest): void {
  const id = parseIntParam(req.getParameter(0), 0, MAX_USER * 100);
  if (id === null) sendAnswer(res, ORDER_NOT_FOUND);
  else sendJson(res, 200, orderById(id));
}

export function ordersRoutes(): DemoRoute[] {
  return [
    ...commonRoutes('orders'),
    { method: 'get', pattern: '/orders', handler: listOrders },
    { method: 'get', pattern: '/orders/:id', handler: getOrder },
  ];
}
