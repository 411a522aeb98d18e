// Loads the plugins a config names: imports each module, checks its default export and options,
// and runs its setup. The supervisor does it to check a config (start, reload, `tollgate
// validate`), then closes what it set up; every worker does it for the generation it serves.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { ConfigPath } from '../config/errors.js';
import type { GatewayConfig } from '../config/types.js';
import type { Logger } from '../observability/logger.js';
import type { PluginDefinition, PluginHooks, PluginLogger } from '../plugin/types.js';

/** One configured plugin, set up: what the stages of a generation use. */
export interface PluginInstance {
  /** Its name in the config. */
  name: string;
  hooks: PluginHooks;
  /** Time limit of each hook call, ms. */
  timeout: number;
  maxBodySize: number;
}

export type PluginSet = ReadonlyMap<string, PluginInstance>;
export const NO_PLUGINS: PluginSet = new Map();

export interface PluginProblem {
  path: ConfigPath;
  message: string;
}

/** Plugin name → the version (hash of its file) of the module loaded for it. */
export type PluginVersions = Readonly<Record<string, string>>;

export type PluginLoad = { ok: true; plugins: PluginSet; versions: PluginVersions } | { ok: false; problems: PluginProblem[] };

const HOOK_FUNCTIONS = ['onRequest', 'onResponse', 'handle', 'close'] as const;
const HOOK_FLAGS = ['requestBody', 'responseJson'] as const;

/** A module's version: a hash of its file. */
function fileVersion(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 16);
}

/**
 * Imports a module once per version: the URL carries it, so a changed file is a new module
 * instance (Node caches ES modules by URL and never unloads one) and an unchanged one is the
 * instance already loaded. Only the named file is versioned: modules it imports are cached as
 * usual, so a plugin that should reload whole is bundled into one file.
 */
async function importPlugin(file: string, version: string): Promise<unknown> {
  const mod = (await import(`${pathToFileURL(file).href}?v=${version}`)) as { default?: unknown };
  return mod.default;
}

function isDefinition(value: unknown): value is PluginDefinition {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'tollgate-plugin';
}

function hookProblems(hooks: unknown): string | null {
  if (typeof hooks !== 'object' || hooks === null) return `setup returned ${hooks === null ? 'null' : typeof hooks}, not an object of hooks`;
  const h = hooks as Record<string, unknown>;
  for (const key of HOOK_FUNCTIONS) if (h[key] !== undefined && typeof h[key] !== 'function') return `hook "${key}" is not a function`;
  for (const key of HOOK_FLAGS) if (h[key] !== undefined && typeof h[key] !== 'boolean') return `"${key}" must be true or false`;
  return null;
}

const why = (err: unknown): string => (err instanceof Error ? err.message : String(err)).split('\n')[0]!;

function pluginLogger(log: Logger, name: string): PluginLogger {
  const at = (level: 'debug' | 'info' | 'warn' | 'error') => (fields: Record<string, unknown>, message?: string): void => {
    log[level]({ ...fields, plugin: name }, message ?? 'plugin');
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/**
 * Every plugin of `config`, set up, or every problem found (with the config path it concerns).
 * Routes are checked against what the plugins provide: a function route needs `handle`.
 * `versions`: the module versions to import (a worker takes the supervisor's); by default, each
 * file's as it is now.
 */
export async function loadPlugins(config: GatewayConfig, log: Logger, versions: PluginVersions | null = null): Promise<PluginLoad> {
  const problems: PluginProblem[] = [];
  const plugins = new Map<string, PluginInstance>();
  const loaded: Record<string, string> = {};
  for (const [name, entry] of Object.entries(config.plugins)) {
    const at = (...rest: (string | number)[]): ConfigPath => ['plugins', name, ...rest];
    let definition: unknown;
    try {
      const version = versions?.[name] ?? fileVersion(entry.module);
      loaded[name] = version;
      definition = await importPlugin(entry.module, version);
    } catch (err) {
      problems.push({ path: at('module'), message: `cannot load plugin module ${entry.module}: ${why(err)}` });
      continue;
    }
    if (!isDefinition(definition)) {
      problems.push({ path: at('module'), message: `${entry.module} does not default-export a plugin made with definePlugin (from 'tollgate/plugin')` });
      continue;
    }
    const options = definition.options.safeParse(entry.options);
    if (!options.success) {
      for (const issue of options.error.issues) {
        const where = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
        problems.push({ path: at('options', ...where), message: `plugin "${definition.name}": ${issue.message}` });
      }
      continue;
    }
    let hooks: unknown;
    try {
      hooks = await definition.setup(options.data, { name, log: pluginLogger(log, name) });
    } catch (err) {
      problems.push({ path: at(), message: `plugin "${definition.name}": setup failed: ${why(err)}` });
      continue;
    }
    const bad = hookProblems(hooks);
    if (bad !== null) {
      problems.push({ path: at(), message: `plugin "${definition.name}": ${bad}` });
      continue;
    }
    plugins.set(name, { name, hooks: hooks as PluginHooks, timeout: entry.timeout, maxBodySize: entry.maxBodySize });
  }
  config.routes.forEach((route, index) => {
    const name = route.respond?.plugin;
    const plugin = name === undefined ? undefined : plugins.get(name);
    if (plugin !== undefined && plugin.hooks.handle === undefined) {
      problems.push({ path: ['routes', index, 'respond', 'plugin'], message: `plugin "${name}" has no handle hook, so it cannot answer a route` });
    }
  });
  if (problems.length === 0) return { ok: true, plugins, versions: loaded };
  await closePlugins(plugins, log);
  return { ok: false, problems };
}

/** Calls every plugin's close(); a failure is logged, never thrown. */
export async function closePlugins(plugins: PluginSet, log: Logger): Promise<void> {
  for (const plugin of plugins.values()) {
    const close = plugin.hooks.close;
    if (close === undefined) continue;
    try {
      await close.call(plugin.hooks);
    } catch (err) {
      log.error({ err, plugin: plugin.name }, 'plugin close failed');
    }
  }
}
