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

/** Writes one access line per request; `sampling` < 1 thins successful requests, never errors. */
export function createAccessLog(logger: pino.Logger, enabled: boolean, sampling: number): (rec: AccessRecord) => void {
  if (!enabled) return () => {};
  return (rec) => {
    if (rec.status < 400 && sampling < 1 && Math.random() >= sampling) return;
    logger.info(rec, 'request');
  };
}
