import type { ErrorCode } from '../errors/codes.js';
import { PROBLEM_CONTENT_TYPE, problemBody, problemStatus } from '../errors/problem.js';
import type { Exchange } from './exchange.js';

const PROBLEM_HEADERS: readonly string[] = ['content-type', PROBLEM_CONTENT_TYPE, 'cache-control', 'no-store'];

/** The gateway's own error answer (RFC 9457). Stages answer early through this, never by throwing. */
export function replyProblem(
  ex: Exchange,
  requestId: string,
  code: ErrorCode,
  detail: string,
  extraHeaders: readonly string[] | null = null,
  closeConnection = false,
): void {
  const headers = extraHeaders === null ? PROBLEM_HEADERS : PROBLEM_HEADERS.concat(extraHeaders);
  ex.reply(problemStatus(code), headers, problemBody(code, detail, requestId), closeConnection);
}
