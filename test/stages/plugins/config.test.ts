// Plugin configuration: `tollgate validate` (as start and reload) loads each module, checks its
// options against the plugin's schema and runs its setup; every problem is FILE:LINE:COL. And a
// route without plugins has no plugin stage in its chain.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import { runValidate } from '../../../dist/config/validate-command.js';
import { loadConfigText } from '../../../dist/config/load.js';
import { pluginStage } from '../../../dist/stages/plugins/index.js';
import type { StageDeps } from '../../../dist/pipeline/types.js';
import { fixture } from './fixtures/json-upstream.js';

const API = pathToFileURL(new URL('../../../dist/plugin/index.js', import.meta.url).pathname).href;

function sink(): { write(text: string): boolean; text: () => string } {
  let text = '';
  return { write: (chunk: string) => ((text += chunk), true), text: () => text };
}

/** A config file in a fresh directory, with plugin modules beside it (they import the API by file URL). */
function configDir(yaml: string, modules: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-plugins-'));
  for (const [name, text] of Object.entries(modules)) writeFileSync(join(dir, name), text.replaceAll('API', API));
  const file = join(dir, 'gateway.yaml');
  writeFileSync(file, yaml);
  return file;
}

async function validate(file: string): Promise<{ code: number; out: string; err: string }> {
  const out = sink();
  const err = sink();
  const code = await runValidate(file, out, err);
  return { code, out: out.text(), err: err.text() };
}

const GREETER = `import { definePlugin, z } from 'API';
export default definePlugin({
  name: 'greeter',
  options: z.strictObject({ greeting: z.string().min(2), times: z.number().int().default(1) }),
  setup: ({ greeting }) => ({ onRequest(req) { req.headers.set('x-greeting', greeting); } }),
});
`;

/** The plugin modules the validation test's configs name, beside the config file. */
const MODULE_FILES = {
  'greeter.mjs': GREETER,
  'broken.mjs': 'export default {{{ not javascript',
  'failing.mjs': `import { definePlugin } from 'API';\nexport default definePlugin({ name: 'failing', setup() { throw new Error('no database'); } });\n`,
};

t.test('a module path relative to the config file loads, and validate reports ok', async (t) => {
  const file = configDir(`upstreams: { a: { targets: [http://x] } }
plugins:
  hello: { module: ./plugins/../greeter.mjs, options: { greeting: hi } }
routes:
  - { id: r, match: { path: /r }, upstream: a, plugins: [hello] }
`, { 'greeter.mjs': GREETER });
  const r = await validate(file);
  t.equal(r.err, '');
  t.equal(r.code, 0);
});

t.test('every plugin problem is an error at FILE:LINE:COL', async (t) => {
  const file = configDir(`upstreams: { a: { targets: [http://x] } }
plugins:
  hello:
    module: ./greeter.mjs
    options:
      greeting: h
      extra: 1
  missing: { module: ./nope.js }
  plain: { module: '${fixture('not-a-plugin.js')}' }
  broken: { module: ./broken.mjs }
  failing: { module: ./failing.mjs }
  nohandle: { module: '${fixture('no-handle.js')}' }
routes:
  - { id: r, match: { path: /r }, upstream: a, plugins: [hello, nobody] }
  - { id: f, match: { path: /f }, respond: { plugin: nohandle } }
  - { id: g, match: { path: /g }, respond: { plugin: ghost, status: 201 } }
`, MODULE_FILES);
  const r = await validate(file);
  t.equal(r.code, 1);
  const lines = r.err.trim().split('\n');
  t.same(lines, [
    `${file}:8:22 plugins.missing.module: plugin module "./nope.js" (${join(file, '..', 'nope.js')}) does not exist`,
    `${file}:14:65 routes.0.plugins.1: plugin "nobody" is not defined in "plugins" (defined: hello, missing, plain, broken, failing, nohandle)`,
    `${file}:16:54 routes.2.respond.plugin: plugin "ghost" is not defined in "plugins" (defined: hello, missing, plain, broken, failing, nohandle)`,
    `${file}:16:61 routes.2.respond.status: "status" does not go with "plugin": the plugin's handle hook makes the whole answer`,
  ], 'the schema and the route references first: modules are loaded only for a config that passes them');

  const second = configDir(`upstreams: { a: { targets: [http://x] } }
plugins:
  hello:
    module: ./greeter.mjs
    options:
      greeting: h
      extra: 1
  plain: { module: '${fixture('not-a-plugin.js')}' }
  broken: { module: ./broken.mjs }
  failing: { module: ./failing.mjs }
  nohandle: { module: '${fixture('no-handle.js')}' }
routes:
  - { id: r, match: { path: /r }, upstream: a, plugins: [hello] }
  - { id: f, match: { path: /f }, respond: { plugin: nohandle } }
`, MODULE_FILES);
  const loaded = await validate(second);
  t.equal(loaded.code, 1);
  const errors = loaded.err.trim().split('\n');
  t.match(errors, [
    `${second}:6:7 plugins.hello.options.greeting: plugin "greeter": Too small: expected string to have >=2 characters`,
    `${second}:5:5 plugins.hello.options: plugin "greeter": Unrecognized key: "extra"`,
    new RegExp(`^${second}:8:12 plugins.plain.module: .*not-a-plugin.js does not default-export a plugin made with definePlugin`),
    new RegExp(`^${second}:9:13 plugins.broken.module: cannot load plugin module .*broken.mjs: `),
    `${second}:10:3 plugins.failing: plugin "failing": setup failed: no database`,
    `${second}:14:46 routes.1.respond.plugin: plugin "nohandle" has no handle hook, so it cannot answer a route`,
  ]);
  t.equal(errors.length, 6);
});

t.test('a route without plugins has no plugin stage; one with plugins has', async (t) => {
  const loaded = loadConfigText(`upstreams: { a: { targets: [http://x] } }
plugins: { n: { module: '${fixture('no-handle.js')}' } }
routes:
  - { id: plain, match: { path: /p }, upstream: a }
  - { id: with, match: { path: /w }, upstream: a, plugins: [n] }
`, '/tmp/gateway.yaml');
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  const [plain, withPlugin] = loaded.config.routes;
  const next = (): void => {};
  const plugin = { name: 'n', hooks: { onRequest() {} }, timeout: 1000, maxBodySize: 1024 };
  const deps = { plugins: new Map([['n', plugin]]), config: loaded.config, log: console } as unknown as StageDeps;
  t.equal(pluginStage(plain!, deps, next), null, 'left out of the plain route\'s chain');
  t.type(pluginStage(withPlugin!, deps, next), 'function');
});
