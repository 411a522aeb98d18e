// The built CLI (`node dist/cli.js`) as a user types it: every usage mistake is one line naming
// it plus the usage on stderr, exit 2, never a stack trace; --help for the tool and each command
// (exit 0) matches the README's command table; --version names Tollgate, uWS, Node.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { MAX_WORKERS } from '../../dist/shm/control-layout.js';
import { runCli as runCliWithTapEnv } from '../helpers/gateway-process.js';
import { childEnv } from '../system/fixtures/system-fixture.js';

const runCli = (args: string[], cwd?: string): ReturnType<typeof runCliWithTapEnv> => runCliWithTapEnv(args, childEnv(), 20_000, cwd);

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const COMMANDS = ['start', 'validate', 'init', 'demo-upstreams'];

/** A line of a V8 stack trace. */
const STACK_LINE = /^\s+at .+/m;

// [arguments, the command named in the error (null: the tool), the error line after "tollgate[ CMD]: "]
const USAGE_ERRORS: [string[], string | null, string | RegExp][] = [
  [[], null, 'missing command'],
  [['stat'], null, 'unknown command "stat" (did you mean "tollgate start"?)'],
  [['valdate', '-c', 'x.yaml'], null, 'unknown command "valdate" (did you mean "tollgate validate"?)'],
  [['help'], null, 'unknown command "help" (did you mean "tollgate --help"?)'],
  [['version'], null, 'unknown command "version" (did you mean "tollgate --version"?)'],
  [['frobnicate'], null, 'unknown command "frobnicate"'],
  [['--workers', '-1'], null, 'unknown option --workers (options come after the command, as in "tollgate start --workers ...")'],
  [['-c', 'gateway.yaml'], null, 'unknown option -c (options come after the command, as in "tollgate start -c ...")'],
  [['-v'], null, 'unknown option -v (did you mean --version?)'],
  [['--verison'], null, 'unknown option --verison (did you mean --version?)'],
  [['--version', 'now'], null, '--version takes no arguments, got "now"'],
  [['start', '--workers', '-1'], 'start', `--workers must be auto or an integer from 1 to ${MAX_WORKERS}, got "-1"`],
  [['start', '--workers=-1'], 'start', `--workers must be auto or an integer from 1 to ${MAX_WORKERS}, got "-1"`],
  [['start', '--workers', 'abc'], 'start', `--workers must be auto or an integer from 1 to ${MAX_WORKERS}, got "abc"`],
  [['start', '--workers', '0'], 'start', `--workers must be auto or an integer from 1 to ${MAX_WORKERS}, got "0"`],
  [['start', '--workers'], 'start', '--workers needs a value (N|auto)'],
  [['start', '--bogus'], 'start', 'unknown option --bogus'],
  [['start', '--wokers', '2'], 'start', 'unknown option --wokers (did you mean --workers?)'],
  [['start', '--config-file', 'a.yaml'], 'start', 'unknown option --config-file (did you mean --config?)'],
  [['start', '-c'], 'start', '-c needs a value (FILE)'],
  [['start', '-c', '--workers', '2'], 'start', '-c needs a value (FILE)'],
  [['start', '-c', 'a.yaml', '-c', 'b.yaml'], 'start', '-c is given twice'],
  [['start', 'gateway.yaml'], 'start', 'unexpected argument "gateway.yaml" (did you mean -c gateway.yaml?)'],
  [['start', '4'], 'start', 'unexpected argument "4" (did you mean --workers 4?)'],
  [['start', '--with-demo-upstreams=yes'], 'start', '--with-demo-upstreams takes no value, got "yes"'],
  [['validate'], 'validate', '-c FILE is required'],
  [['validate', 'config.yaml'], 'validate', '-c FILE is required (did you mean -c config.yaml?)'],
  [['validate', '-c', 'a.yaml', 'b.yaml'], 'validate', 'unexpected argument "b.yaml"'],
  [['validate', '--workers', '2', '-c', 'a.yaml'], 'validate', 'unknown option --workers'],
  [['init', 'a.yaml', 'b.yaml'], 'init', 'unexpected argument "b.yaml" (tollgate init takes one FILE)'],
  [['init', '--force=yes'], 'init', '--force takes no value, got "yes"'],
  [['init', '--upstream'], 'init', '--upstream needs a value (URL)'],
  [['init', '--upstream', 'localhost:3000'], 'init', /^--upstream needs an origin such as http:\/\/127\.0\.0\.1:3000: target URL must start with http:\/\/ or https:\/\/$/],
  [['init', '--upstream', 'http://app:3000/v1'], 'init', /^--upstream needs an origin such as http:\/\/127\.0\.0\.1:3000: target URL must not have a path/],
  [['demo-upstreams', '--users-port', 'x'], 'demo-upstreams', '--users-port needs a port number from 0 to 65535, got "x"'],
  [['demo-upstreams', '--users-port', '70000'], 'demo-upstreams', '--users-port needs a port number from 0 to 65535, got "70000"'],
  [['demo-upstreams', '--bogus-port', '1'], 'demo-upstreams', 'unknown option --bogus-port'],
  [['demo-upstreams', '--host='], 'demo-upstreams', '--host needs an address, got ""'],
];

/** `tollgate --help`'s synopsis lines: its "Usage:" block. */
async function toolSynopses(): Promise<string[]> {
  const { stdout } = await runCli(['--help']);
  const lines = stdout.split('\n');
  return lines.slice(1, lines.indexOf('')).map((line) => line.trim());
}

t.test('usage errors: one line naming the mistake, then the usage, on stderr; exit 2; no stack trace', async (t) => {
  const synopses = await toolSynopses();
  const cwd = mkdtempSync(join(tmpdir(), 'tollgate-cli-'));
  for (const [args, command, error] of USAGE_ERRORS) {
    const label = `tollgate ${args.join(' ')}`.trim();
    // A temp working directory: no mistake may write a file (init) or find config/gateway.yaml.
    const { code, stdout, stderr } = await runCli(args, cwd);
    t.equal(code, 2, `${label}: exit 2`);
    t.equal(stdout, '', `${label}: nothing on stdout`);
    t.notMatch(stderr, STACK_LINE, `${label}: no stack trace`);
    const [first, ...rest] = stderr.split('\n');
    const prefix = command === null ? 'tollgate: ' : `tollgate ${command}: `;
    t.ok(first!.startsWith(prefix), `${label}: the error names ${command === null ? 'the tool' : `the command ${command}`}: ${first}`);
    if (typeof error === 'string') t.equal(first!.slice(prefix.length), error, label);
    else t.match(first!.slice(prefix.length), error, label);
    if (command === null) {
      t.same(rest.slice(0, synopses.length + 1), ['Usage:', ...synopses.map((s) => `  ${s}`)], `${label}: then the tool's usage`);
    } else {
      t.equal(rest[0], `Usage: ${synopses.find((s) => s.startsWith(`tollgate ${command} `))}`, `${label}: then the command's usage`);
    }
  }
});

t.test('--help and -h: the tool and each command, on stdout, exit 0', async (t) => {
  const tool = await runCli(['--help']);
  t.equal(tool.code, 0);
  t.equal(tool.stderr, '');
  t.match(tool.stdout, /^Usage:\n {2}tollgate start /);
  for (const command of COMMANDS) t.match(tool.stdout, new RegExp(`^ {2}${command} +\\S`, 'm'), `tollgate --help lists ${command}`);
  t.same((await runCli(['-h'])).stdout, tool.stdout, '-h is --help');

  const synopses = await toolSynopses();
  for (const command of COMMANDS) {
    for (const args of [[command, '--help'], [command, '-h'], ['--help', command]]) {
      const { code, stdout, stderr } = await runCli(args);
      const label = `tollgate ${args.join(' ')}`;
      t.equal(code, 0, `${label}: exit 0`);
      t.equal(stderr, '', `${label}: nothing on stderr`);
      t.equal(stdout.split('\n')[0], `Usage: ${synopses.find((s) => s.startsWith(`tollgate ${command} `))}`, `${label}: the command's usage first`);
      t.match(stdout, /^ {2}-h, --help +this help$/m, `${label}: lists its options`);
    }
  }
  const withBadFlag = await runCli(['start', '--bogus', '--help']);
  t.equal(withBadFlag.code, 0, '--help wins over a mistake beside it');
  t.match(withBadFlag.stdout, /^Usage: tollgate start /);
});

t.test("the usage matches the README's command table, row for row", async (t) => {
  const rows = README.split('\n')
    .filter((line) => line.startsWith('| `tollgate '))
    .map((line) => [...line.split(/(?<!\\)\|/)[1]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!.replace(/\\\|/g, '|')).join(', '));
  t.same(rows, await toolSynopses());
});

t.test('--version: Tollgate, the uWebSockets.js build, Node and the platform', async (t) => {
  const { code, stdout, stderr } = await runCli(['--version']);
  t.equal(code, 0);
  t.equal(stderr, '');
  const lines = stdout.trim().split('\n');
  t.equal(lines[0], `tollgate ${VERSION}`);
  t.match(lines[1], /^uWebSockets\.js (current|legacy) 20\.\d+\.\d+\S* \(\S+\)$/);
  t.match(lines[2], `Node ${process.version}, ${process.platform}-${process.arch}`);
});

t.test('a config file that is not there: one line naming its full path, exit 1', async (t) => {
  const cwd = mkdtempSync(join(tmpdir(), 'tollgate-cli-'));
  const validated = await runCli(['validate', '-c', 'nowhere.yaml'], cwd);
  t.equal(validated.code, 1);
  t.equal(validated.stderr, `nowhere.yaml:1:1 (root): cannot read config file ${join(cwd, 'nowhere.yaml')} (ENOENT: no such file)\n`);
  const started = await runCli(['start', '--workers', '1'], cwd);
  t.equal(started.code, 1, 'start without -c reads config/gateway.yaml, here missing');
  t.same(started.stderr.split('\n'), [
    `config/gateway.yaml:1:1 (root): cannot read config file ${join(cwd, 'config/gateway.yaml')} (ENOENT: no such file)`,
    'tollgate: not started',
    '',
  ]);
  t.notMatch(started.stderr, STACK_LINE);
});
