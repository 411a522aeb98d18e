// Relative paths in a config file (certificates, keys, dataDir) resolve against the directory of
// that file, not the working directory: under systemd (WorkingDirectory=/var/lib/tollgate) a
// `certFile: certs/site.pem` next to /etc/tollgate/gateway.yaml must still mean that file.
import { AsyncLocalStorage } from 'node:async_hooks';
import { dirname, isAbsolute, resolve } from 'node:path';

// The schema parse is synchronous; the store carries the file's directory to the path fields
// without threading it through every schema fragment.
const configDir = new AsyncLocalStorage<string>();

/** Runs `parse` with relative paths resolving against the directory of `configFile`. */
export function withConfigDir<T>(configFile: string, parse: () => T): T {
  return configDir.run(dirname(resolve(configFile)), parse);
}

/** An absolute path; a relative one is taken from the config file's directory (outside a load: the working directory). */
export function resolveConfigPath(path: string): string {
  return isAbsolute(path) ? path : resolve(configDir.getStore() ?? process.cwd(), path);
}

/** How a path is named in an error: as written, plus the full path tried when they differ. */
export function describePath(written: string, full: string): string {
  return written === full ? JSON.stringify(written) : `${JSON.stringify(written)} (${full})`;
}
