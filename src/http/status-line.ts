import { STATUS_CODES } from 'node:http';

// uWS writes the status line verbatim; precomputed once so the hot path never concatenates.
const LINES: string[] = [];
for (let code = 100; code < 600; code++) LINES[code] = code + ' ' + (STATUS_CODES[code] ?? 'Status');

export function statusLine(code: number): string {
  return LINES[code] ?? '502 Bad Gateway';
}
