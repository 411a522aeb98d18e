import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PROBE = fileURLToPath(new URL('./probe-files.js', import.meta.url));
/** mdb.c: MDB_MAGIC and MDB_DATA_VERSION, in the meta page at the start of data.mdb. */
const MDB_MAGIC = 0xbeefc0de;
const MDB_DATA_VERSION = 2;
const MAGIC_OFFSET = 24;
const PROBE_TIMEOUT_MS = 120_000;

/**
 * What is wrong with the cache's LMDB files in `dir`, or null when they are usable (or absent: a
 * new cache starts empty). lmdb-js crashes the process (SIGSEGV, SIGBUS) on a data.mdb that is
 * not LMDB or is damaged, rather than throwing; so the supervisor checks the header here, then
 * has a child process open and walk the files (probe-files.ts) before any thread of the gateway
 * opens them. A cache of a million entries takes about a second.
 */
export function cacheFilesProblem(dir: string): string | null {
  const file = join(dir, 'data.mdb');
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return null;
  }
  if (size === 0) return null;
  const header = Buffer.alloc(MAGIC_OFFSET + 8);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, header, 0, header.length, 0);
  } finally {
    closeSync(fd);
  }
  if (header.readUInt32LE(MAGIC_OFFSET) !== MDB_MAGIC || (header.readUInt32LE(MAGIC_OFFSET + 4) & 0xffff) !== MDB_DATA_VERSION) {
    return `${file} is not an LMDB file of this version`;
  }
  const probe = spawnSync(process.execPath, [PROBE, dir], { encoding: 'utf8', timeout: PROBE_TIMEOUT_MS, env: { ...process.env, NODE_OPTIONS: '' } });
  if (probe.signal !== null) return `${file} is damaged (reading it ended a probe process with ${probe.signal})`;
  if (probe.status !== 0) return `${file} cannot be read: ${probe.stderr.trim() || `probe exit status ${String(probe.status)}`}`;
  return null;
}
