// Reads a config file: YAML with positions, interpolation, the schema, the cross-field checks.
// Every problem is collected in one pass; a valid result is deep-frozen.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { checkLimitsForBuild, type BuildFacts } from './checks/build-limits.js';
import { crossChecks } from './checks/index.js';
import { withConfigDir } from './config-dir.js';
import { deepFreeze } from './deep-freeze.js';
import { knownKeysAt } from './did-you-mean.js';
import { formatConfigError, formatPath, type ConfigError, type ConfigPath, type Problem } from './errors.js';
import { maskInterpolations, resolveInterpolations } from './interpolate.js';
import { issuesToProblems, operatorMessage } from './issue-messages.js';
import { locate, offsetPosition, writtenPath } from './positions.js';
import { gatewaySchema } from './schema/index.js';
import type { GatewayConfig } from './types.js';

export { formatConfigError };
export type { ConfigError };
/** Where a key of the loaded config is written: its position, and its path as the file spells it. */
export type ConfigLocator = (path: ConfigPath) => { line: number; col: number; path: string };
export type LoadResult = { ok: true; config: GatewayConfig; where: ConfigLocator } | { ok: false; errors: ConfigError[] };

/**
 * `build`: the uWebSockets.js build the config is for (start and reload pass the one that runs,
 * validate the one start would load); settings it cannot honour are errors. Without it, only what
 * holds on every build is checked.
 */
export function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env, build?: BuildFacts): LoadResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const message = `cannot read config file ${resolve(file)} (${readFailure(error as NodeJS.ErrnoException)})`;
    return { ok: false, errors: [{ file, line: 1, col: 1, path: '(root)', message }] };
  }
  return loadConfigText(text, file, env, build);
}

export function loadConfigText(text: string, file: string, env: NodeJS.ProcessEnv = process.env, build?: BuildFacts): LoadResult {
  const counter = new LineCounter();
  const masked = maskInterpolations(text);
  const doc = parseDocument(masked.text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const syntax = doc.errors.map((e) => ({ path: [], at: 'value' as const, offset: e.pos[0], message: syntaxMessage(e.message) }));
    return { ok: false, errors: toErrors([...masked.problems, ...syntax], file, doc, counter) };
  }
  if (doc.contents === null) {
    const message = 'the file is empty (nothing but comments or blank lines): a config is a mapping of settings such as listen, upstreams and routes';
    return { ok: false, errors: [{ file, line: 1, col: 1, path: '(root)', message }] };
  }
  const interpolation = [...masked.problems, ...resolveInterpolations(doc, masked, env)];
  const raw: unknown = doc.toJS();
  // Relative paths in the file (certFile, keyFile, dataDir) are taken from its directory.
  const parsed = withConfigDir(file, () => gatewaySchema.safeParse(raw, { error: operatorMessage }));
  const knownKeys = (path: ConfigPath): string[] => knownKeysAt(gatewaySchema, path);
  const checks = [
    ...(parsed.success ? (build === undefined ? [] : checkLimitsForBuild(parsed.data.limits, build)) : issuesToProblems(parsed.error.issues, knownKeys)),
    ...crossChecks(raw),
  ];
  // A value that failed to interpolate would only add a second, confusing error at the same key.
  const failedPaths = new Set(interpolation.map((p) => formatPath(p.path)));
  const problems = [...interpolation, ...checks.filter((p) => !failedPaths.has(formatPath(p.path)))];
  if (problems.length > 0 || !parsed.success) return { ok: false, errors: toErrors(problems, file, doc, counter) };
  const where: ConfigLocator = (path) => {
    const written = writtenPath(doc, path);
    return { ...locate(doc, counter, written, 'key'), path: formatPath(written) };
  };
  return { ok: true, config: deepFreeze(parsed.data), where };
}

function toErrors(problems: Problem[], file: string, doc: Document, counter: LineCounter): ConfigError[] {
  const errors = problems.map((problem): ConfigError => {
    const { line, col } = problem.offset === undefined ? locate(doc, counter, problem.path, problem.at) : offsetPosition(problem.offset, counter);
    return { file, line, col, path: formatPath(problem.path), message: problem.message };
  });
  const unique = new Map(errors.map((e) => [formatConfigError(e), e]));
  return [...unique.values()].sort((a, b) => a.line - b.line || a.col - b.col || a.path.localeCompare(b.path));
}

const READ_FAILURES: Record<string, string> = { ENOENT: 'no such file', EACCES: 'permission denied', EISDIR: 'a directory' };

function readFailure(error: NodeJS.ErrnoException): string {
  if (error.code === undefined) return String(error);
  const what = READ_FAILURES[error.code];
  return what === undefined ? error.code : `${error.code}: ${what}`;
}

// The yaml package appends " at line L, column C" (and a snippet); the position is reported separately.
function syntaxMessage(message: string): string {
  return `YAML syntax error: ${message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? message}`;
}
