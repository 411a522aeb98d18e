import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { commonRoutes } from './common-routes.js';
import { parseIntParam } from './int-param.js';
import { readBody } from './read-body.js';
import { jsonAnswer, problemAnswer, sendAnswer, sendJson, sendProblem } from './reply.js';
import type { DemoRoute } from './route-table.js';

const MAX_USER_BODY = 1024 * 1024;
const MAX_ID = Number.MAX_SAFE_INTEGER;
const NAMED_USERS = ['Ada Lovelace', 'Alan Turing', 'Grace Hopper'];

interface User {
  id: number;
  name: string;
  email: string;
}

/** Every numeric id names a user: the first three are named, the rest are generated. */
function userById(id: number): User {
  const name = NAMED_USERS[id - 1] ?? `User ${id}`;
  const handle = NAMED_USERS[id - 1] === undefined ? `user${id}` : name.split(' ')[0]!.toLowerCase();
  return { id, name, email: `${handle}@example.com` };
}

const USER_LIST = jsonAnswer(200, { users: [1, 2, 3].map(userById) });
const USER_NOT_FOUND = problemAnswer(404, 'user ids are numeric');

function getUser(res: HttpResponse, req: HttpRequest): void {
  const id = parseIntParam(req.getParameter(0), 0, MAX_ID);
  if (id === null) sendAnswer(res, USER_NOT_FOUND);
  else sendJson(res, 200, userById(id));
}

function parseObject(data: Buffer): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(data.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function createUserRoute(): (res: HttpResponse) => void {
  let nextId = 1000;
  return (res) =>
    readBody(res, MAX_USER_BODY, ({ data }) => {
      res.cork(() => {
        if (data === null) return sendProblem(res, 413, `a user body is at most ${MAX_USER_BODY} bytes`);
        const user = parseObject(data);
        if (user === null) return sendProblem(res, 400, 'the body must be a JSON object');
        sendJson(res, 201, { ...user, id: nextId++ });
      });
    });
}

export function usersRoutes(): DemoRoute[] {
  return [
    ...commonRoutes('users'),
    { method: 'get', pattern: '/users', handler: (res) => sendAnswer(res, USER_LIST) },
    { method: 'post', pattern: '/users', handler: createUserRoute() },
    { method: 'get', pattern: '/users/:id', handler: getUser },
    { method: 'get', pattern: '/v2/users/:id', handler: getUser },
  ];
}
