// One wrk run, pinned to the load CPUs, through wrk/load.lua; closed loop or fixed rate.
import { fileURLToPath } from 'node:url';
import { parseWrkOutput } from '../parse-wrk.mjs';
import { describeExit, outputOf, spawnPinned, stopProcess } from './children.mjs';

const LOAD_LUA = fileURLToPath(new URL('../wrk/load.lua', import.meta.url));

/**
 * Closed loop when `rate` is 0: every connection sends its next request as soon as the answer
 * arrives. Fixed rate otherwise: wrk/load.lua spreads `rate` requests/s over the connections.
 */
export async function runWrk({ wrk, cpus, url, scenario, threads, connections, seconds, rate = 0 }) {
  const env = {
    WRK_METHOD: scenario.method,
    WRK_BODY_BYTES: String(scenario.bodyBytes ?? 0),
    WRK_RATE_PER_THREAD: String(rate / threads),
    WRK_THINK_MS: rate > 0 ? String((connections * 1000) / rate) : '0',
    WRK_HEADERS: Object.entries(scenario.headers ?? {}).map(([name, value]) => `${name}: ${value}`).join('\n'),
  };
  const args = ['-t', String(threads), '-c', String(connections), '-d', `${seconds}s`, '--latency', '-s', LOAD_LUA, url + scenario.path];
  const proc = spawnPinned('wrk', cpus, wrk, args, { env, keepAll: true });
  // wrk stops itself after -d; this only guards against a hang.
  const guard = setTimeout(() => stopProcess(proc, 2_000), (seconds + 30) * 1000);
  const exit = await proc.exited;
  clearTimeout(guard);
  if (exit.code !== 0) throw new Error(`wrk ${args.join(' ')} exited with ${describeExit(exit)}\n${outputOf(proc)}`);
  return parseWrkOutput(proc.stdout());
}
