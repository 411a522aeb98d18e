import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import type { DemoService } from './demo-service.js';
import { readBody } from './read-body.js';
import { sendJson } from './reply.js';
import { rawQuery } from './request-query.js';

const MAX_ECHOED_BODY = 64 * 1024;

export type QueryObject = Record<string, string | string[]>;

export function parseQuery(raw: string): QueryObject {
  const query: QueryObject = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    const seen = query[key];
    if (seen === undefined) query[key] = value;
    else if (Array.isArray(seen)) seen.push(value);
    else query[key] = [seen, value];
  }
  return query;
}

/** Request headers with lowercase names; repeated headers joined with ", ". */
function collectHeaders(req: HttpRequest): Record<string, string> {
  const headers: Record<string, string> = {};
  req.forEach((name, value) => {
    const seen = headers[name];
    headers[name] = seen === undefined ? value : `${seen}, ${value}`;
  });
  return headers;
}

/**
 * ANY /echo and /echo/*: answers what the request looked like, so tests can see exactly
 * what a gateway forwarded. `url` is the request target (path and raw query).
 */
export function echoHandler(service: DemoService): (res: HttpResponse, req: HttpRequest) => void {
  return (res, req) => {
    // The HttpRequest dies with this synchronous call: copy everything now.
    const query = rawQuery(req);
    const url = query === '' ? req.getUrl() : `${req.getUrl()}?${query}`;
    const head = {
      service,
      // As sent: route-table.ts never calls getMethod(), which lowercases it in place.
      method: req.getCaseSensitiveMethod(),
      url,
      query: parseQuery(query),
      headers: collectHeaders(req),
    };
    readBody(res, MAX_ECHOED_BODY, ({ length, data }) => {
      const answer = { ...head, bodyLength: length, body: data?.toString('utf8') };
      res.cork(() => sendJson(res, 200, answer));
    });
  };
}
