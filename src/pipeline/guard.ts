import type { Exchange } from './exchange.js';

/**
 * Wraps a callback that a stage hands to something asynchronous (a timer, a stream, a socket
 * event): an exception in it fails this request (Exchange.fail) instead of reaching the worker's
 * uncaughtException handler, which would end the worker and every request on it.
 */
export function guarded<A extends unknown[]>(ex: Exchange, where: string, fn: (...args: A) => void): (...args: A) => void {
  return (...args) => {
    try {
      fn(...args);
    } catch (err) {
      ex.fail(err, where);
    }
  };
}
