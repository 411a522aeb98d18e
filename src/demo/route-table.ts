import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { problemAnswer, sendAnswer } from './reply.js';

export type DemoHandler = (res: HttpResponse, req: HttpRequest) => void;

export interface DemoRoute {
  method: 'get' | 'post' | 'any';
  pattern: string;
  handler: DemoHandler;
}

/** Runs before a route's handler; returns true when it has answered the request itself. */
export type DemoGuard = (res: HttpResponse, req: HttpRequest) => boolean;

const NOT_FOUND = problemAnswer(404, 'no such demo endpoint');

function guarded(handler: DemoHandler, guard: DemoGuard | undefined): DemoHandler {
  if (guard === undefined) return handler;
  return (res, req) => {
    if (!guard(res, req)) handler(res, req);
  };
}

function markHead(handler: DemoHandler): DemoHandler {
  return (res, req) => {
    res.headOnly = true;
    handler(res, req);
  };
}

function markHeadIfHead(handler: DemoHandler): DemoHandler {
  return (res, req) => {
    if (req.getCaseSensitiveMethod() === 'HEAD') res.headOnly = true;
    handler(res, req);
  };
}

function notFound(res: HttpResponse): void {
  sendAnswer(res, NOT_FOUND);
}

/**
 * Mounts the routes on the app; GET routes also answer HEAD (without a body), and every
 * other path answers a 404 problem (uWS would otherwise leave the request unanswered).
 */
export function mountRoutes(app: TemplatedApp, routes: DemoRoute[], guard?: DemoGuard): void {
  for (const route of routes) {
    const handler = guarded(route.handler, guard);
    if (route.method === 'get') {
      app.get(route.pattern, handler);
      app.head(route.pattern, markHead(handler));
    } else if (route.method === 'post') {
      app.post(route.pattern, handler);
    } else {
      app.any(route.pattern, markHeadIfHead(handler));
    }
  }
  app.any('/*', markHeadIfHead(guarded(notFound, guard)));
}
