import { ERROR_CODES, PROBLEM_TYPE_BASE, type ErrorCode } from './codes.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** The RFC 9457 body for a gateway-made error. `detail` must never carry upstream internals. */
export function problemBody(code: ErrorCode, detail: string, requestId: string): string {
  const { status, title } = ERROR_CODES[code];
  return JSON.stringify({
    type: PROBLEM_TYPE_BASE + code.slice(3).toLowerCase().replace(/_/g, '-'),
    title,
    status,
    detail,
    instance: requestId,
  });
}

export function problemStatus(code: ErrorCode): number {
  return ERROR_CODES[code].status;
}
