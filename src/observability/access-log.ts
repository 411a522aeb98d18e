import type pino from 'pino';

export interface AccessRecord {
  method: string;
  path: string;
  route: string | null;
  status: number;
  durationMs: number;
  upstream: string | null;
  requestId: string;
  bytes: number;
}

/**
 * Writes one access line per request; `sampling` < 1 thins successful requests, never errors.
 * `log.access` alone decides whether access lines are written: `log.level: warn` quiets the
 * gateway's own chatter, not the access log an operator asked for.
 */
export function createAccessLog(logger: pino.Logger, enabled: boolean, sampling: number): (rec: AccessRecord) => void {
  if (!enabled) return () => {};
  const access = logger.child({}, { level: 'info' });
  return (rec) => {
    if (rec.status < 400 && sampling < 1 && Math.random() >= sampling) return;
    access.info(rec, 'request');
  };
}
