// What the native bench needs on the machine: Debian's nginx, HAProxy and wrk, and the Node
// peers in native-bench's own node_modules (so the product's dependencies stay clean).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The command each package provides, looked up on PATH and in the sbin folders. */
const APT_PACKAGES = [
  { pkg: 'nginx-light', command: 'nginx' },
  { pkg: 'haproxy', command: 'haproxy' },
  { pkg: 'wrk', command: 'wrk' },
];
const SEARCH_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

export function findCommand(name) {
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), ...SEARCH_DIRS];
  for (const dir of dirs) {
    const file = join(dir, name);
    if (existsSync(file)) return file;
  }
  return null;
}

function runLoud(command, args, env) {
  process.stderr.write(`native-bench: ${command} ${args.join(' ')}\n`);
  const result = spawnSync(command, args, { stdio: ['ignore', 2, 2], env: { ...process.env, ...env } });
  if (result.error) throw new Error(`${command} could not run: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.status ?? result.signal}`);
}

function missingError(what, fix) {
  return new Error(`missing ${what}; install it: ${fix} (or run without --no-install, as root)`);
}

/** Installs the missing apt packages (apt-get update first); returns the commands' paths. */
export function ensureAptTools({ install }) {
  const missing = APT_PACKAGES.filter((p) => findCommand(p.command) === null);
  if (missing.length > 0) {
    const fix = `apt-get install -y ${missing.map((p) => p.pkg).join(' ')}`;
    if (!install || process.getuid?.() !== 0) throw missingError(missing.map((p) => p.command).join(', '), fix);
    const env = { DEBIAN_FRONTEND: 'noninteractive' };
    runLoud('apt-get', ['update'], env);
    runLoud('apt-get', ['install', '-y', '--no-install-recommends', ...missing.map((p) => p.pkg)], env);
  }
  const paths = {};
  for (const { pkg, command } of APT_PACKAGES) {
    const path = findCommand(command);
    if (path === null) throw new Error(`${command} is still missing after installing ${pkg}`);
    paths[command] = path;
  }
  if (findCommand('taskset') === null) throw new Error('taskset is missing (Debian package util-linux)');
  return paths;
}

/** The Node peers are native-bench's own devDependencies, installed when any is missing. */
export function ensurePeers(benchDir, { install }) {
  const manifest = JSON.parse(readFileSync(join(benchDir, 'package.json'), 'utf8'));
  const names = Object.keys(manifest.devDependencies ?? {});
  if (names.every((name) => existsSync(join(benchDir, 'node_modules', name, 'package.json')))) return;
  if (!install) throw missingError(`the Node peers (${names.join(', ')})`, `npm install --prefix ${benchDir}`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  runLoud(npm, ['install', '--prefix', benchDir, '--no-audit', '--no-fund'], {});
}
