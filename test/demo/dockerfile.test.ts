// The Dockerfile, checked without a Docker engine (none on the machines this suite runs on):
// its instructions parsed, the stages and the files they copy checked against the checkout,
// and the config baked into the image loaded. `docker build .` is the full check where an engine exists.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { loadConfigFile, formatConfigError } from '../../dist/config/load.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const text = readFileSync(`${ROOT}Dockerfile`, 'utf8');

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

const KEYWORDS = new Set(['FROM', 'RUN', 'CMD', 'LABEL', 'EXPOSE', 'ENV', 'ADD', 'COPY', 'ENTRYPOINT', 'VOLUME', 'USER', 'WORKDIR', 'ARG',
  'ONBUILD', 'STOPSIGNAL', 'HEALTHCHECK', 'SHELL']);

/** Dockerfile syntax: comments, `\` line continuations, KEYWORD arguments. */
function parse(source: string): Instruction[] {
  const out: Instruction[] = [];
  let pending: { text: string; line: number } | null = null;
  source.split('\n').forEach((raw, index) => {
    const line = raw.trimEnd();
    if (pending === null && (line.trim() === '' || line.trimStart().startsWith('#'))) return;
    const continued = line.endsWith('\\');
    const part = continued ? line.slice(0, -1) : line;
    pending = pending === null ? { text: part, line: index + 1 } : { text: `${pending.text} ${part.trim()}`, line: pending.line };
    if (continued) return;
    const match = /^\s*([A-Za-z]+)\s+(.*)$/.exec(pending.text);
    if (match === null) throw new Error(`Dockerfile:${pending.line}: not an instruction: ${pending.text}`);
    out.push({ keyword: match[1]!.toUpperCase(), args: match[2]!.trim(), line: pending.line });
    pending = null;
  });
  if (pending !== null) throw new Error('Dockerfile ends inside a continued line');
  return out;
}

const instructions = parse(text);
const stages: Instruction[][] = [];
for (const i of instructions) {
  if (i.keyword === 'FROM') stages.push([]);
  stages.at(-1)?.push(i);
}
const final = stages.at(-1) ?? [];
const all = (stage: Instruction[], keyword: string) => stage.filter((i) => i.keyword === keyword);
const one = (stage: Instruction[], keyword: string) => all(stage, keyword).at(-1);
const execForm = (args: string): string[] => JSON.parse(args) as string[];

t.test('every line is a Dockerfile instruction, the BuildKit syntax line comes first', async (t) => {
  t.equal(text.split('\n')[0], '# syntax=docker/dockerfile:1');
  for (const i of instructions) t.ok(KEYWORDS.has(i.keyword), `line ${i.line}: ${i.keyword}`);
  t.equal(instructions[0]?.keyword, 'FROM', 'FROM is the first instruction');
});

t.test('multi-stage: a named build stage, a runtime stage that copies only its output', async (t) => {
  t.equal(stages.length, 2);
  const froms = stages.map((s) => s[0]!.args);
  t.match(froms[0], /^node:20-bookworm-slim AS build$/, 'the build stage, on the Node major of package.json engines (glibc: uWS binaries)');
  t.match(froms[1], /^node:20-bookworm-slim$/);
  const named = new Set(froms.map((f) => / AS (\S+)$/i.exec(f)?.[1]).filter(Boolean));
  for (const copy of all(final, 'COPY').filter((c) => c.args.startsWith('--from='))) {
    t.ok(named.has(/^--from=(\S+)/.exec(copy.args)?.[1]), `line ${copy.line}: copies from an earlier stage`);
  }
  t.ok(all(stages[0]!, 'RUN').some((r) => r.args.includes('npm ci')) && all(stages[0]!, 'RUN').some((r) => /npm run build && npm prune --omit=dev/.test(r.args)),
    'dependencies from the lock file, built, dev dependencies pruned');
});

t.test('every file copied from the build context exists and is not excluded by .dockerignore', async (t) => {
  const ignored = readFileSync(`${ROOT}.dockerignore`, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  for (const copy of all(instructions, 'COPY').filter((c) => !c.args.startsWith('--from='))) {
    const sources = copy.args.split(/\s+/).slice(0, -1);
    for (const source of sources) {
      t.ok(existsSync(`${ROOT}${source}`), `line ${copy.line}: ${source} exists`);
      t.notOk(ignored.some((pattern) => source === pattern.replace(/\/$/, '') || source.startsWith(pattern)), `line ${copy.line}: ${source} is in the context`);
    }
  }
});

t.test('the runtime stage runs `node dist/cli.js start` as a non-root user, with a health check on /ready', async (t) => {
  const user = one(final, 'USER');
  t.ok(user !== undefined && !['root', '0'].includes(user.args), `USER ${user?.args}`);
  const cmd = one(final, 'CMD')!;
  t.ok(user !== undefined && user.line < cmd.line, 'the user is set before the command');
  const argv = execForm(cmd.args);
  t.same(argv.slice(0, 3), ['node', 'dist/cli.js', 'start'], 'exec form: node is PID 1 and gets SIGTERM');
  const configPath = argv[argv.indexOf('-c') + 1];
  t.ok(all(final, 'COPY').some((c) => c.args.endsWith(` ${configPath}`)), `${configPath} is in the image`);
  t.equal(one(final, 'STOPSIGNAL')?.args, 'SIGTERM');

  const health = one(final, 'HEALTHCHECK')!;
  const probe = /^((?:--\S+\s+)*)CMD (\[.*\])$/.exec(health.args);
  t.ok(probe, 'HEALTHCHECK [options] CMD [exec form]');
  const probeArgv = execForm(probe![2]!);
  t.equal(probeArgv[0], 'node', 'probes with node (the slim image has no curl)');
  const url = /fetch\('([^']+)'\)/.exec(probeArgv.join(' '))?.[1];
  const config = loadConfigFile(`${ROOT}config/container.yaml`, {});
  t.ok(config.ok, config.ok ? '' : config.errors.map(formatConfigError).join('\n'));
  if (!config.ok) return;
  t.equal(url, `http://127.0.0.1:${config.config.admin.port}/ready`, "the probe asks the admin API's /ready");
  t.equal(config.config.listen[0]?.host, '0.0.0.0', 'the container config listens beyond the container');
  t.same(one(final, 'EXPOSE')?.args.split(/\s+/), [String(config.config.listen[0]?.port)], 'EXPOSE names the listen port');
  t.equal(config.config.dataDir, '/var/lib/tollgate');
  t.ok(all(final, 'RUN').some((r) => r.args.includes(`-o node -g node ${config.config.dataDir}`)), 'the dataDir belongs to the user');
});
