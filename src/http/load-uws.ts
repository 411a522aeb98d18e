import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as UWS from 'uWebSockets.js';
import { UWS_BUILDS, UWS_BUILD_NAMES, type UwsBuildName, type UwsQuirks } from './uws-builds.js';

export type Uws = typeof UWS;

/** One loaded uWebSockets.js build: its binary's exports and what it does differently. */
export interface UwsBuild {
  readonly name: UwsBuildName;
  /** The npm package the binary came from, and its version (20.57.0, 20.30.0-unofficial.0). */
  readonly packageName: string;
  readonly version: string;
  readonly quirks: UwsQuirks;
  readonly uws: Uws;
}

export class UwsUnavailableError extends Error {
  readonly code = 'TG_UWS_UNAVAILABLE';
}

const require = createRequire(import.meta.url);
const loaded = new Map<UwsBuildName, UwsBuild>();

/** The build TOLLGATE_UWS forces, or null for the automatic choice; throws on any other value. */
export function requestedUwsBuild(env: NodeJS.ProcessEnv = process.env): UwsBuildName | null {
  const value = env.TOLLGATE_UWS ?? '';
  if (value === '') return null;
  if ((UWS_BUILD_NAMES as readonly string[]).includes(value)) return value as UwsBuildName;
  throw new UwsUnavailableError(`TOLLGATE_UWS must be ${UWS_BUILD_NAMES.join(' or ')}, got ${JSON.stringify(value)}`);
}

/**
 * Loads the build TOLLGATE_UWS forces (or `name`), else the current build and, when its binary
 * does not load here (glibc older than 2.38, a Node without its ABI), the legacy one. Throws
 * UwsUnavailableError naming every build tried and why it did not load.
 *
 * Each build's binary is required by its path, never through the package's entry: the legacy
 * package's entry falls back to a slow pure-JS server when its binary does not load.
 */
export function loadUws(name: UwsBuildName | null = requestedUwsBuild()): UwsBuild {
  if (/^(1|true)$/i.test(process.env.UWS_USE_FALLBACK ?? '')) {
    throw new UwsUnavailableError('UWS_USE_FALLBACK asks for uWebSockets.js\'s slow pure-JS fallback, which Tollgate never runs: unset it to start on a native binary.');
  }
  const candidates = name === null ? UWS_BUILD_NAMES : [name];
  const reasons: string[] = [];
  for (const candidate of candidates) {
    const build = loaded.get(candidate) ?? tryLoad(candidate, reasons);
    if (build !== null) return build;
  }
  throw new UwsUnavailableError((name === null
    ? `uWebSockets.js: neither bundled build loads here (${describePlatform()}), and Tollgate never runs the slow pure-JS fallback:\n`
    : `uWebSockets.js: TOLLGATE_UWS=${name} forces the ${name} build, which does not load here (${describePlatform()}):\n`) +
    reasons.join('\n'));
}

function tryLoad(name: UwsBuildName, reasons: string[]): UwsBuild | null {
  const spec = UWS_BUILDS[name];
  let root: string;
  try {
    root = packageRoot(spec.packageName);
  } catch (err) {
    reasons.push(`  ${name} (${spec.packageName}): not installed: ${firstLine(err)}`);
    return null;
  }
  const { name: packageName, version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; version: string };
  const abi = process.versions.modules;
  const file = join(root, spec.binaryDir, `uws_${process.platform}_${process.arch}_${abi}.node`);
  if (!existsSync(file)) {
    const majors = Object.values(spec.nodeAbis).join(', ');
    reasons.push(`  ${name} ${version}: no binary for ${process.platform}-${process.arch} and this Node (ABI ${abi}); it has Node ${majors}`);
    return null;
  }
  try {
    const build: UwsBuild = { name, packageName, version, quirks: spec.quirks, uws: require(file) as Uws };
    loaded.set(name, build);
    return build;
  } catch (err) {
    reasons.push(`  ${name} ${version} (needs ${spec.needs}): ${firstLine(err)}`);
    return null;
  }
}

/**
 * Stops uWS writing its `uWebSockets: 20` header, which both builds add to every answer after
 * Date (uWS's HttpResponse::writeMark, skipped when the loop's noMark is set) and which a
 * handler cannot remove. uWS.js's undocumented `_cfg('silent')` sets noMark on the calling
 * thread's loop: each worker thread calls this once before it listens. Checked on both builds by
 * test/http/uws-builds.test.ts. uWS's own error pages (quirk ownPageSignature) still name it.
 */
export function dropUwsMark(build: UwsBuild): void {
  (build.uws as Uws & { _cfg(key: string): void })._cfg('silent');
}

/** The folder of an installed package, found from its entry (the current build exports no package.json). */
function packageRoot(packageName: string): string {
  let dir = dirname(require.resolve(packageName));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${require.resolve(packageName)}`);
    dir = up;
  }
  return dir;
}

function firstLine(err: unknown): string {
  return String((err as Error).message ?? err).split('\n')[0]!;
}

/** Node version, platform and, on Linux, the C library: what decides which build loads. */
export function describePlatform(): string {
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  const libc = header?.glibcVersionRuntime === undefined ? '' : `, glibc ${header.glibcVersionRuntime}`;
  return `Node ${process.version}, ${process.platform}-${process.arch}${libc}`;
}
