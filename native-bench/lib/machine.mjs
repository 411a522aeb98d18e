// What the figures were measured on: CPU, cores, memory, kernel and every contender's version.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { formatCpuList, onlineCpus } from './cpus.mjs';

function readText(file) {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** The version that `command args` prints (stdout or stderr), captured by `pattern`'s group 1. */
function toolVersion(command, args, pattern) {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  return pattern.exec(`${result.stdout ?? ''}\n${result.stderr ?? ''}`)?.[1] ?? 'unknown';
}

function packageVersion(fromDir, name) {
  try {
    return JSON.parse(readFileSync(join(fromDir, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return 'unknown';
  }
}

function gitRevision(root) {
  const result = spawnSync('git', ['-C', root, 'describe', '--always', '--dirty'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : 'unknown';
}

export function describeMachine({ root, benchDir, tools }) {
  const cpuinfo = readText('/proc/cpuinfo');
  const memKb = Number(/^MemTotal:\s+(\d+) kB/m.exec(readText('/proc/meminfo'))?.[1] ?? 0);
  const osName = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readText('/etc/os-release'))?.[1] ?? os.type();
  const online = onlineCpus();
  return {
    cpuModel: /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown',
    cores: online.length,
    onlineCpus: formatCpuList(online),
    memoryGiB: Math.round((memKb / 1024 / 1024) * 10) / 10,
    kernel: `${os.type()} ${os.release()} ${os.arch()}`,
    os: osName,
    versions: {
      node: process.version,
      nginx: toolVersion(tools.nginx, ['-v'], /nginx version: nginx\/(\S+)/),
      haproxy: toolVersion(tools.haproxy, ['-v'], /HAProxy version (\S+)/),
      wrk: toolVersion(tools.wrk, ['-v'], /^wrk (\S+)/m),
      tollgate: `${JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version} (${gitRevision(root)})`,
      'uWebSockets.js': packageVersion(root, 'uWebSockets.js'),
      'uWebSockets.js-legacy': packageVersion(root, 'uWebSockets.js-legacy'),
      glibc: process.report?.getReport().header.glibcVersionRuntime ?? 'none',
      undici: packageVersion(root, 'undici'),
      'fast-gateway': packageVersion(benchDir, 'fast-gateway'),
      '@fastify/http-proxy': packageVersion(benchDir, '@fastify/http-proxy'),
      fastify: packageVersion(benchDir, 'fastify'),
    },
  };
}
