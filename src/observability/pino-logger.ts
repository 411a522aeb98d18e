import pino from 'pino';
import type { LogLevel } from '../config/types.js';

/**
 * pino writing JSON lines to fd 1 through an asynchronous sonic-boom: a log call copies into a
 * buffer and returns; lines that pile up while a write is in flight leave in one write(). In a
 * worker thread this bypasses process.stdout, which would hop through the main thread.
 */
export function createLogger(level: LogLevel, bindings: Record<string, unknown>): pino.Logger {
  const dest = pino.destination({ dest: 1, sync: false });
  return pino({ level, base: bindings, timestamp: pino.stdTimeFunctions.isoTime }, dest);
}

export function flushLogger(logger: pino.Logger): void {
  try {
    logger.flush();
  } catch {
    // A closed stdout (e.g. the reader went away) must not turn a clean shutdown into a crash.
  }
}
