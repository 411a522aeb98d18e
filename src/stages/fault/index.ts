import type { StageFactory } from '../../pipeline/types.js';
import { FaultyExchange, type ExchangeFault } from './faulty-exchange.js';

/**
 * What `x-tollgate-fault: VALUE` does on a routed request:
 *   crash-worker        answers 202, then throws outside any request (the worker dies and is replaced)
 *   throw-in-stage      throws synchronously in the chain
 *   throw-on-answer, throw-mid-body, throw-in-body-read, throw-on-abort, throw-on-drain
 *                       the rest of the chain sees an Exchange that throws there (FaultyExchange)
 */
const EXCHANGE_FAULTS: Record<string, ExchangeFault> = {
  'throw-on-answer': 'answer',
  'throw-mid-body': 'mid-body',
  'throw-in-body-read': 'body-read',
  'throw-on-abort': 'abort',
  'throw-on-drain': 'drain',
};

/**
 * Test-only fault injection, first in every chain when TOLLGATE_FAULT_INJECTION=1 and left out
 * of every chain otherwise: a production worker has no code path that reads the header.
 */
export const faultStage: StageFactory = (_route, deps, next) => {
  if (!deps.faultInjection || next === null) return null;
  return (ctx) => {
    const fault = headerValue(ctx.headers, 'x-tollgate-fault');
    if (fault === 'crash-worker') {
      ctx.exchange.reply(202, [], 'crashing');
      setImmediate(() => {
        throw new Error('fault injection: crash-worker');
      });
      return;
    }
    if (fault === 'throw-in-stage') throw new Error('fault injection: throw-in-stage');
    const exchangeFault = fault === null ? undefined : EXCHANGE_FAULTS[fault];
    if (exchangeFault !== undefined) ctx.exchange = new FaultyExchange(ctx.exchange, exchangeFault);
    next(ctx);
  };
};

function headerValue(headers: readonly string[], name: string): string | null {
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === name) return headers[i + 1]!;
  return null;
}
