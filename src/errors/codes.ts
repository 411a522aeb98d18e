// Every error the gateway answers itself, with a stable code. Codes cross thread boundaries as
// plain strings; src/errors/problem.ts is the one place that turns a code into an HTTP answer.
export const ERROR_CODES = {
  TG_BAD_REQUEST: { status: 400, title: 'Bad Request' },
  TG_BAD_PATH: { status: 400, title: 'Bad Request' },
  TG_BAD_HEADER: { status: 400, title: 'Bad Request' },
  TG_BAD_HOST: { status: 400, title: 'Bad Request' },
  TG_BAD_FRAMING: { status: 400, title: 'Bad Request' },
  TG_UNAUTHORIZED: { status: 401, title: 'Unauthorized' },
  TG_INSUFFICIENT_SCOPE: { status: 403, title: 'Forbidden' },
  TG_CORS_REFUSED: { status: 403, title: 'Forbidden' },
  TG_NOT_FOUND: { status: 404, title: 'Not Found' },
  TG_METHOD_NOT_ALLOWED: { status: 405, title: 'Method Not Allowed' },
  TG_REQUEST_TIMEOUT: { status: 408, title: 'Request Timeout' },
  TG_LENGTH_REQUIRED: { status: 411, title: 'Length Required' },
  TG_BODY_TOO_LARGE: { status: 413, title: 'Content Too Large' },
  TG_RATE_LIMITED: { status: 429, title: 'Too Many Requests' },
  TG_QUOTA_EXCEEDED: { status: 429, title: 'Too Many Requests' },
  TG_HEADERS_TOO_LARGE: { status: 431, title: 'Request Header Fields Too Large' },
  TG_CODING_NOT_IMPLEMENTED: { status: 501, title: 'Not Implemented' },
  TG_METHOD_NOT_IMPLEMENTED: { status: 501, title: 'Not Implemented' },
  TG_UPSTREAM_FAILED: { status: 502, title: 'Bad Gateway' },
  TG_UPSTREAM_UNAVAILABLE: { status: 503, title: 'Service Unavailable' },
  TG_RATE_LIMITER_FULL: { status: 503, title: 'Service Unavailable' },
  TG_SHUTTING_DOWN: { status: 503, title: 'Service Unavailable' },
  TG_AUTH_OVERLOADED: { status: 503, title: 'Service Unavailable' },
  TG_AUTH_UNAVAILABLE: { status: 503, title: 'Service Unavailable' },
  TG_UPSTREAM_TIMEOUT: { status: 504, title: 'Gateway Timeout' },
  TG_INTERNAL: { status: 500, title: 'Internal Server Error' },
  TG_PLUGIN_FAILED: { status: 500, title: 'Internal Server Error' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export const PROBLEM_TYPE_BASE = 'https://tollgate.dev/problems/';
