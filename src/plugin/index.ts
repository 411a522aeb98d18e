// `import { definePlugin, z } from 'tollgate/plugin'`: the public API a plugin is written
// against. It imports nothing of the gateway's internals, only zod (a dependency of tollgate), so
// a plugin needs no other package to declare and check its options.
import { z } from 'zod';
import type { PluginDefinition, PluginHooks, PluginSetupContext } from './types.js';


export { z };
export type * from './types.js';

/**
 * Declares a plugin: the module's default export. `options` is a zod schema for the plugin's
 * `options` in the config (checked at start, on reload and by `tollgate validate`, errors at
 * FILE:LINE:COL); `setup` receives the parsed options and returns the hooks.
 */
export function definePlugin<S extends z.ZodType = z.ZodType<Record<string, never>>>(definition: {
  name: string;
  options?: S;
  setup: (options: z.output<S>, ctx: PluginSetupContext) => PluginHooks | Promise<PluginHooks>;
}): PluginDefinition<z.output<S>> {
  if (typeof definition?.name !== 'string' || definition.name === '') throw new TypeError('definePlugin: "name" must be a non-empty string');
  if (typeof definition.setup !== 'function') throw new TypeError(`definePlugin(${definition.name}): "setup" must be a function`);
  return Object.freeze({
    kind: 'tollgate-plugin' as const,
    name: definition.name,
    options: (definition.options ?? z.object({}).strict()) as z.ZodType<z.output<S>>,
    setup: definition.setup,
  });
}
