// What `npm pack` puts in the tarball that `npm install -g ./tollgate-<version>.tgz` installs
// (README: install from a checkout; the package is not on the npm registry).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { license: string; bin: Record<string, string> };

t.test('the package holds the built CLI, the configs, the docs and the licence, and no sources or tests', async (t) => {
  const run = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  t.equal(run.status, 0, run.stderr);
  const [packed] = JSON.parse(run.stdout) as { files: { path: string }[] }[];
  const files = new Set((packed?.files ?? []).map((f) => f.path));
  for (const path of [pkg.bin['tollgate']!, 'dist/worker/main.js', 'config/gateway.yaml', 'config/tollgate.service', 'config/tollgate.schema.json',
    'config/examples/minimal.yaml', 'docs/config.md', 'README.md', 'LICENSE',
    'dist/plugin/index.js', 'dist/plugin/index.d.ts', 'dist/plugin/types.d.ts', 'examples/plugins/tenant-routing.js', 'examples/plugins/gateway.yaml',
    // The dashboard's page, read from beside dist/supervisor/dashboard/page.js (the build copies it).
    'dist/supervisor/dashboard/page/index.html', 'dist/supervisor/dashboard/page/dashboard.js', 'dist/supervisor/dashboard/page/dashboard.css',
    'docs/dashboard.png']) {
    t.ok(files.has(path), `${path} is packed`);
  }
  t.notOk([...files].some((f) => f.startsWith('src/') || f.startsWith('test/') || f.startsWith('bench/') || f.startsWith('node_modules/')), 'nothing but what runs and documents it');
  t.notOk([...files].some((f) => /(^|\/)data\//.test(f)), 'no data directory');
});

t.test('LICENSE is the licence package.json names', async (t) => {
  t.equal(pkg.license, 'MIT');
  t.match(readFileSync(`${ROOT}LICENSE`, 'utf8'), /^MIT License\n\nCopyright \(c\) \d{4} /);
  t.equal(readFileSync(`${ROOT}${pkg.bin['tollgate']}`, 'utf8').split('\n')[0], '#!/usr/bin/env node', 'the bin runs with node');
});
