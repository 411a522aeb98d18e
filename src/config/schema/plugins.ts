// Top-level `plugins`: JavaScript modules made with definePlugin (tollgate/plugin). The schema
// checks the entry; the module itself (its export and its options) is checked by loading it
// (src/plugins/load.ts), at start, on reload and by `tollgate validate`.
import { z } from 'zod';
import { readableFile } from './files.js';
import { duration, name, size } from './scalars.js';

export const pluginSchema = z.strictObject({
  module: readableFile('plugin module').meta({ description: 'The ES module (.js/.mjs) whose default export is made with definePlugin; relative to the config file' }),
  options: z.unknown().default({}).meta({ description: "The plugin's options, checked against the schema the plugin declares" }),
  timeout: duration({ min: 1, max: 60_000 }).prefault('1s').meta({ description: 'Time limit of each hook call; a hook that runs longer fails the request with a 500 problem' }),
  maxBodySize: size({ min: 1 }).prefault('1mb').meta({
    description: 'Largest request body read for the plugin (hooks.requestBody; larger: 413) and JSON answer held for it (hooks.responseJson; larger: passes through unchanged)',
  }),
});

export const pluginsSchema = z
  .record(name('plugin name'), pluginSchema)
  .default({})
  .meta({ description: 'JavaScript/TypeScript plugins, by name; a route lists those it runs in `plugins` (README, "Plugins")' });

/** Route `plugins`: names of top-level plugins, run in this order on requests (reverse on answers). */
export const routePluginsSchema = z
  .array(z.string().min(1))
  .default([])
  .meta({ description: 'Plugins run on this route, in order for requests and in reverse for answers (names in the top-level `plugins`)' });
