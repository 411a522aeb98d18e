// `tollgate validate -c FILE`: every error as FILE:LINE:COL path: message, or a one-line summary.
import { loadUws } from '../http/load-uws.js';
import { UWS_BUILDS } from '../http/uws-builds.js';
import type { BuildFacts } from './checks/build-limits.js';
import { formatConfigError, loadConfigFile } from './load.js';
import { checkPlugins } from '../plugins/check.js';
import type { Logger } from '../observability/logger.js';

/** What plugins log while validate sets them up: nothing (validate prints errors only). */
const silentLog: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export interface TextSink {
  write(text: string): unknown;
}

/**
 * `build`: the uWebSockets.js build to check the build-dependent limits against; by default the
 * one `start` would load here (TOLLGATE_UWS included). When none loads, they are not checked and
 * a note says so (start would refuse to run anyway).
 */
export async function runValidate(file: string, out: TextSink = process.stdout, err: TextSink = process.stderr, build?: BuildFacts): Promise<number> {
  const result = loadConfigFile(file, process.env, build ?? buildStartWouldLoad(err));
  if (!result.ok) {
    for (const error of result.errors) err.write(`${formatConfigError(error)}\n`);
    return 1;
  }
  // Plugin modules are imported, their options checked and their setup run (then closed), as start does.
  const plugins = await checkPlugins(file, result, silentLog);
  if (!plugins.ok) {
    for (const error of plugins.errors) err.write(`${formatConfigError(error)}\n`);
    return 1;
  }
  const routes = result.config.routes.length;
  const upstreams = Object.keys(result.config.upstreams).length;
  out.write(`${file}: ok (${routes} route${routes === 1 ? '' : 's'}, ${upstreams} upstream${upstreams === 1 ? '' : 's'})\n`);
  return 0;
}

function buildStartWouldLoad(err: TextSink): BuildFacts | undefined {
  try {
    return UWS_BUILDS[loadUws().name];
  } catch (error) {
    const reason = String((error as Error).message).split('\n')[0];
    err.write(`note: ${reason}; limits.headersTimeout, limits.idleTimeout and limits.maxConnections were not checked against a build\n`);
    return undefined;
  }
}
