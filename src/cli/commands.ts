// The CLI's commands and options as data: parsing (parse-command.ts), `--help` and the usage a
// usage error prints all come from this one table, so they cannot disagree. The synopses match
// the README's command table (test/cli/cli.test.ts compares them).
import { DEFAULT_DEMO_HOST, DEFAULT_DEMO_PORTS, DEMO_SERVICES } from '../demo/demo-service.js';
import { MAX_WORKERS } from '../shm/control-layout.js';

export interface OptionSpec {
  /** The long name, without `--`. */
  readonly name: string;
  readonly short?: string;
  /** What the value is called (FILE, N|auto); absent for a flag that takes none. */
  readonly value?: string;
  /** Shown without brackets in the synopsis: the command refuses to run without it. */
  readonly required?: boolean;
  readonly help: string;
}

export interface CommandSpec {
  readonly name: CommandName;
  /** One line for `tollgate --help`. */
  readonly summary: string;
  /** The paragraph under the usage line in `tollgate COMMAND --help`. */
  readonly description: string;
  readonly options: readonly OptionSpec[];
  /** The one positional argument the command takes, if any: [FILE]. */
  readonly positional?: { readonly name: string; readonly help: string };
}

export type CommandName = 'start' | 'validate' | 'init' | 'demo-upstreams';

export const DEFAULT_CONFIG_FILE = 'config/gateway.yaml';
export const DEFAULT_INIT_FILE = 'tollgate.yaml';

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'start',
    summary: 'start the supervisor and the worker threads',
    description: 'Starts the gateway: the supervisor and its uWS worker threads. Runs until SIGTERM or SIGINT (a graceful drain); SIGHUP reloads the config, SIGUSR2 logs a snapshot of the figures.',
    options: [
      { name: 'config', short: 'c', value: 'FILE', help: `the config file (default: ${DEFAULT_CONFIG_FILE})` },
      { name: 'workers', value: 'N|auto', help: `worker threads, 1 to ${MAX_WORKERS}; auto = the available cores (default: the config's workers)` },
      { name: 'with-demo-upstreams', help: 'also run the demo services as a child process, stopped with the gateway' },
    ],
  },
  {
    name: 'validate',
    summary: 'check a config: exit 0, or exit 1 printing every error as FILE:LINE:COL path.to.key: message',
    description: 'Checks a config file without starting anything: exit 0 with a one-line summary, or exit 1 printing every error as FILE:LINE:COL path.to.key: message.',
    options: [{ name: 'config', short: 'c', value: 'FILE', required: true, help: 'the config file to check' }],
  },
  {
    name: 'init',
    summary: 'write a commented starter config for one upstream',
    description: 'Writes a commented starter config: one upstream, two routes, the admin API with its token from ${TOLLGATE_ADMIN_TOKEN}. It passes `tollgate validate` as written. An existing file is never overwritten without --force.',
    positional: { name: 'FILE', help: `where to write it (default: ${DEFAULT_INIT_FILE} in the current directory)` },
    options: [
      { name: 'upstream', value: 'URL', help: 'the upstream\'s origin, http(s)://host:port (default: http://127.0.0.1:3000)' },
      { name: 'force', help: 'overwrite FILE if it exists' },
    ],
  },
  {
    name: 'demo-upstreams',
    summary: 'the demo services used by the default config, the tests and the benches',
    description: 'Runs the demo services (users, orders, slow, flaky) until SIGINT or SIGTERM, or until the process that started it with an IPC channel is gone. Port 0 picks a free port.',
    options: [
      { name: 'host', value: 'HOST', help: `the address they listen on (default: ${DEFAULT_DEMO_HOST})` },
      ...DEMO_SERVICES.map((service): OptionSpec => ({ name: `${service}-port`, value: 'N', help: `the ${service} service's port (default: ${DEFAULT_DEMO_PORTS[service]})` })),
    ],
  },
];

export function commandSpec(name: CommandName): CommandSpec {
  return COMMANDS.find((c) => c.name === name)!;
}

/** How an option is written in a synopsis or a message: its short form when it has one. */
export function optionLabel(option: OptionSpec): string {
  return option.short !== undefined ? `-${option.short}` : `--${option.name}`;
}

/** `tollgate start [-c FILE] [--workers N|auto] [--with-demo-upstreams]` */
export function synopsis(spec: CommandSpec): string {
  const parts = [`tollgate ${spec.name}`];
  if (spec.positional !== undefined) parts.push(`[${spec.positional.name}]`);
  for (const option of spec.options) {
    const text = option.value === undefined ? optionLabel(option) : `${optionLabel(option)} ${option.value}`;
    parts.push(option.required === true ? text : `[${text}]`);
  }
  return parts.join(' ');
}

const ENVIRONMENT = 'TOLLGATE_UWS=current|legacy forces one of the two bundled uWebSockets.js builds.';

/** The synopses of every command: what `tollgate --help` starts with and a top-level usage error prints. */
export function toolUsage(): string {
  return [
    'Usage:',
    ...COMMANDS.map((c) => `  ${synopsis(c)}`),
    '  tollgate --version',
    '  tollgate --help, tollgate COMMAND --help',
    '',
  ].join('\n');
}

/** `tollgate --help`. */
export function toolHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 3;
  return [
    toolUsage(),
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    `  ${'--version'.padEnd(width)}Tollgate's version, the uWebSockets.js build that loads here, Node and the platform`,
    '',
    ENVIRONMENT,
    '',
  ].join('\n');
}

/** `tollgate COMMAND --help`. */
export function commandHelp(spec: CommandSpec): string {
  const rows: [string, string][] = [];
  if (spec.positional !== undefined) rows.push([spec.positional.name, spec.positional.help]);
  for (const option of spec.options) {
    const names = option.short !== undefined ? `-${option.short}, --${option.name}` : `--${option.name}`;
    rows.push([option.value === undefined ? names : `${names} ${option.value}`, option.help]);
  }
  rows.push(['-h, --help', 'this help']);
  const width = Math.max(...rows.map(([left]) => left.length)) + 3;
  return [
    `Usage: ${synopsis(spec)}`,
    '',
    ...wrap(spec.description, 100),
    '',
    spec.positional === undefined ? 'Options:' : 'Arguments and options:',
    ...rows.map(([left, right]) => `  ${left.padEnd(width)}${right}`),
    '',
  ].join('\n');
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  return [...lines, line];
}
