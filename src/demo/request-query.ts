import type { HttpRequest } from 'uWebSockets.js';

// uWS 20.30 returns undefined (not '' as typed) when there is no query or no such key.

export function rawQuery(req: HttpRequest): string {
  return (req.getQuery() as string | undefined) ?? '';
}

export function queryParam(req: HttpRequest, key: string): string {
  return (req.getQuery(key) as string | undefined) ?? '';
}
