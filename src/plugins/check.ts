// The supervisor's (and `tollgate validate`'s) check of a config's plugins: each is loaded and
// set up as a worker would, its problems reported at FILE:LINE:COL, and what was set up closed.
import type { ConfigError } from '../config/errors.js';
import type { ConfigLocator } from '../config/load.js';
import type { GatewayConfig } from '../config/types.js';
import type { Logger } from '../observability/logger.js';
import { closePlugins, loadPlugins, type PluginVersions } from './load.js';

/** The versions of the modules checked (what the workers are to load), or the errors. */
export type PluginCheck = { ok: true; versions: PluginVersions } | { ok: false; errors: ConfigError[] };

export async function checkPlugins(file: string, loaded: { config: GatewayConfig; where: ConfigLocator }, log: Logger): Promise<PluginCheck> {
  if (Object.keys(loaded.config.plugins).length === 0) return { ok: true, versions: {} };
  const result = await loadPlugins(loaded.config, log);
  if (result.ok) {
    await closePlugins(result.plugins, log);
    return { ok: true, versions: result.versions };
  }
  const errors = result.problems.map((problem): ConfigError => {
    const at = loaded.where(problem.path);
    return { file, line: at.line, col: at.col, path: at.path, message: problem.message };
  });
  return { ok: false, errors };
}
