// Plugins and SIGHUP: a changed plugin file is a new module instance on every worker, under load,
// with no failed request, and the old instance is closed; a plugin that fails to load keeps the
// running config; a gateway whose plugin fails to load does not start.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import type { GatewayProcess } from '../helpers/gateway-process.js';
import { runCli, writeConfig } from '../helpers/gateway-process.js';
import { failuresOf, startLoad } from './fixtures/load-loop.js';
import { configHead, fetchText, launch, poll, startUpstreams, waitForLogSince } from './fixtures/system-fixture.js';

const API = pathToFileURL(new URL('../../dist/plugin/index.js', import.meta.url).pathname).href;

/** Version `v` of the plugin: stamps its answers with X-Plugin-Version and logs when closed. */
function pluginSource(v: number, setupLine = ''): string {
  return `import { definePlugin, z } from '${API}';
export default definePlugin({
  name: 'versioned',
  options: z.strictObject({ label: z.string() }),
  setup({ label }, { log }) {
    ${setupLine}
    return {
      onResponse(res) { res.headers.set('x-plugin-version', '${v}:' + label); },
      close() { log.info({ version: ${v} }, 'versioned plugin closed'); },
    };
  },
});
`;
}

async function hup(gw: GatewayProcess): Promise<Record<string, unknown>> {
  const from = gw.logs.length;
  gw.child.kill('SIGHUP');
  return waitForLogSince(gw, from, (l) => l.msg === 'config reloaded' || /^config reload (rejected|failed)/.test(String(l.msg)));
}

t.test('SIGHUP reloads a changed plugin under load; a broken one keeps the running config', async (t) => {
  const demo = await startUpstreams(t);
  const yaml = `${configHead(demo)}log: { access: false }
plugins:
  stamp: { module: ./versioned.mjs, options: { label: x } }
routes:
  - { id: hot, match: { path: /hot, methods: [GET] }, upstream: users, rewrite: /echo, plugins: [stamp] }
`;
  const configFile = writeConfig(yaml);
  const plugin = join(configFile, '..', 'versioned.mjs');
  writeFileSync(plugin, pluginSource(1));
  const gw = await launch(t, yaml, { workers: 2, configFile });
  t.equal((await fetchText(`${gw.url}/hot`)).headers['x-plugin-version'], '1:x');

  const load = startLoad({ url: `${gw.url}/hot`, concurrency: 6, maxRequests: 2_000, maxMs: 8_000 });
  try {
    await poll(() => load.finished() >= 100, 3_000, 5);
    writeFileSync(plugin, pluginSource(2));
    const line = await hup(gw);
    t.equal(line.msg, 'config reloaded', 'the changed plugin reloads');
    t.ok(load.running(), 'while the load runs');
    const after = load.finished();
    await poll(() => load.finished() >= after + 100, 3_000, 5);
  } finally {
    load.stop();
  }
  const outcomes = await load.done;
  t.same(failuresOf(outcomes), [], 'no failed request across the reload');
  const versions = new Set(outcomes.map((o) => o.reply?.headers['x-plugin-version']));
  t.same([...versions].sort(), ['1:x', '2:x'], 'answers from the old and then the new instance');
  t.equal((await fetchText(`${gw.url}/hot`)).headers['x-plugin-version'], '2:x');
  await gw.waitForLog((l) => l.msg === 'versioned plugin closed' && l.version === 1 && l.plugin === 'stamp');

  // Options change with the file unchanged: the same module, set up again with them.
  writeFileSync(gw.configFile, yaml.replace('label: x', 'label: y'));
  t.equal((await hup(gw)).msg, 'config reloaded');
  t.equal((await fetchText(`${gw.url}/hot`)).headers['x-plugin-version'], '2:y');

  writeFileSync(plugin, pluginSource(3, "throw new Error('cannot reach the licence server');"));
  const refused = await hup(gw);
  t.match(refused.msg, /config reload rejected/);
  t.same(refused.errors, [`${gw.configFile}:${yaml.split('\n').findIndex((l) => l.startsWith('  stamp:')) + 1}:3 plugins.stamp: plugin "versioned": setup failed: cannot reach the licence server`]);
  writeFileSync(plugin, 'export default {{ broken');
  const broken = await hup(gw);
  t.match(broken.msg, /config reload rejected/);
  t.match((broken.errors as string[])[0], /plugins\.stamp\.module: cannot load plugin module .*versioned\.mjs: /);
  // Set up fine in the supervisor's check, failing in the workers: the generation is rolled back.
  writeFileSync(plugin, `import { isMainThread } from 'node:worker_threads';\n${pluginSource(4, "if (!isMainThread) throw new Error('no worker may load me');")}`);
  const onWorkers = await hup(gw);
  t.equal(onWorkers.msg, 'config reload failed on a worker; rolled back');
  for (let i = 0; i < 4; i++) {
    const r = await fetchText(`${gw.url}/hot`, { reset: true });
    t.equal(r.status, 200);
    t.equal(r.headers['x-plugin-version'], '2:y', 'the running config keeps serving');
  }
});

t.test('a plugin that fails to load stops the start with FILE:LINE:COL', async (t) => {
  const file = writeConfig(`listen: { host: 127.0.0.1, port: 0 }
admin: { host: 127.0.0.1, port: 0 }
plugins:
  stamp: { module: ./versioned.mjs, options: { label: 7 } }
routes:
  - { id: r, match: { path: /r }, respond: { status: 204 }, plugins: [stamp] }
`);
  writeFileSync(join(file, '..', 'versioned.mjs'), pluginSource(1));
  const run = await runCli(['start', '-c', file, '--workers', '1']);
  t.not(run.code, 0);
  t.match(run.stderr + run.stdout, `${file}:4:48 plugins.stamp.options.label: plugin "versioned": Invalid input: expected string, received number`);
});
