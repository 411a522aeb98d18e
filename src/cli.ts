#!/usr/bin/env node
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { COMMANDS, DEFAULT_CONFIG_FILE, commandHelp, synopsis, toolHelp, toolUsage, type CommandSpec } from './cli/commands.js';
import { UsageError, parseCommand, type ParsedCommand } from './cli/parse-command.js';
import { closestKey } from './config/did-you-mean.js';
import type { GatewayConfig } from './config/types.js';
import { DEMO_SERVICES, type DemoService } from './demo/demo-service.js';
import type { DemoUpstreamsOptions } from './demo/start-demo-upstreams.js';
import { MAX_WORKERS } from './shm/control-layout.js';
import { ProcessSignals, type StopSignal } from './supervisor/process-signals.js';
import type { RunningGateway } from './supervisor/supervisor.js';

// Only light modules are imported statically: `start` installs its signal handlers before it
// loads the rest (pino, the config loader, the supervisor): a few hundred milliseconds.
//
// Exit codes: 0 done, 1 it failed (a config error, a file that cannot be written, a port in use),
// 2 a usage error (one line saying what is wrong, then the usage, on stderr). Nothing prints a
// stack trace: an error no command expects ends in one line too (see the end of this file).

async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) return usageError(null, 'missing command');
  if (first === '-h' || first === '--help') {
    const spec = COMMANDS.find((c) => c.name === rest[0]);
    process.stdout.write(spec === undefined ? toolHelp() : commandHelp(spec));
    return 0;
  }
  if (first === '--version') return rest.length === 0 ? version() : usageError(null, `--version takes no arguments, got ${JSON.stringify(rest[0])}`);
  if (first.startsWith('-')) return usageError(null, unknownToolOption(first));
  const spec = COMMANDS.find((c) => c.name === first);
  if (spec === undefined) return usageError(null, unknownCommand(first));
  try {
    const parsed = parseCommand(spec, rest);
    if (parsed.help) {
      process.stdout.write(commandHelp(spec));
      return 0;
    }
    return await run(spec, parsed);
  } catch (err) {
    if (err instanceof UsageError) return usageError(spec, err.message);
    throw err;
  }
}

async function run(spec: CommandSpec, parsed: ParsedCommand): Promise<number> {
  const value = (name: string): string | undefined => {
    const v = parsed.values.get(name);
    return typeof v === 'string' ? v : undefined;
  };
  switch (spec.name) {
    case 'start': return start(value('config') ?? DEFAULT_CONFIG_FILE, workersFlag(value('workers')), parsed.values.has('with-demo-upstreams'));
    case 'validate': {
      const { runValidate } = await import('./config/validate-command.js');
      return runValidate(value('config')!);
    }
    case 'init': {
      const { runInit } = await import('./cli/init-command.js');
      return runInit({ file: parsed.positionals[0], upstream: value('upstream'), force: parsed.values.has('force') });
    }
    case 'demo-upstreams': {
      const options = demoOptions(value);
      const { runDemoUpstreamsCommand } = await import('./demo/index.js');
      return runDemoUpstreamsCommand(options);
    }
  }
}

/** One line naming the mistake, then the usage: of the command, or of the whole tool. Exit 2. */
function usageError(spec: CommandSpec | null, message: string): number {
  if (spec === null) process.stderr.write(`tollgate: ${message}\n${toolUsage()}Run "tollgate --help" for more.\n`);
  else process.stderr.write(`tollgate ${spec.name}: ${message}\nUsage: ${synopsis(spec)}\nRun "tollgate ${spec.name} --help" for its options.\n`);
  return 2;
}

/** `tollgate stat` suggests start; `tollgate version` and `tollgate help` the options they meant. */
function unknownCommand(typed: string): string {
  const names = [...COMMANDS.map((c) => c.name), 'help', 'version'];
  const close = closestKey(typed, names);
  const meant = close === null ? null : close === 'help' || close === 'version' ? `tollgate --${close}` : `tollgate ${close}`;
  return `unknown command ${JSON.stringify(typed)}${meant === null ? '' : ` (did you mean "${meant}"?)`}`;
}

/** An option before any command: a command's own (`tollgate --workers 2`) is shown after its command. */
function unknownToolOption(typed: string): string {
  const name = typed.replace(/^-+/, '').split('=')[0]!;
  const owner = COMMANDS.find((c) => c.options.some((o) => (typed.startsWith('--') ? o.name === name : o.short === name)));
  if (owner !== undefined) return `unknown option ${typed} (options come after the command, as in "tollgate ${owner.name} ${typed} ...")`;
  const close = typed === '-v' || typed === '-V' ? 'version' : closestKey(name, ['help', 'version']);
  return `unknown option ${typed}${close === null ? '' : ` (did you mean --${close}?)`}`;
}

function workersFlag(text: string | undefined): number | 'auto' | undefined {
  if (text === undefined || text === 'auto') return text;
  const workers = /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(workers) || workers < 1 || workers > MAX_WORKERS) {
    throw new UsageError(`--workers must be auto or an integer from 1 to ${MAX_WORKERS}, got ${JSON.stringify(text)}`);
  }
  return workers;
}

function demoOptions(value: (name: string) => string | undefined): DemoUpstreamsOptions {
  const ports: Partial<Record<DemoService, number>> = {};
  for (const service of DEMO_SERVICES) {
    const text = value(`${service}-port`);
    if (text === undefined) continue;
    const port = /^[0-9]{1,5}$/.test(text) ? Number(text) : NaN;
    if (!(port >= 0 && port <= 65535)) throw new UsageError(`--${service}-port needs a port number from 0 to 65535, got ${JSON.stringify(text)}`);
    ports[service] = port;
  }
  const host = value('host');
  if (host === '') throw new UsageError('--host needs an address, got ""');
  return host === undefined ? { ports } : { host, ports };
}

/** Tollgate's version, the uWebSockets.js build that loads here, Node and the platform. */
async function version(): Promise<number> {
  const [{ TOLLGATE_VERSION }, { describePlatform, loadUws }] = await Promise.all([import('./package-version.js'), import('./http/load-uws.js')]);
  process.stdout.write(`tollgate ${TOLLGATE_VERSION}\n`);
  let code = 0;
  try {
    const build = loadUws();
    process.stdout.write(`uWebSockets.js ${build.name} ${build.version} (${build.packageName})\n`);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    code = 1;
  }
  process.stdout.write(`${describePlatform()}\n`);
  return code;
}

async function start(configFile: string, workers: number | 'auto' | undefined, withDemoUpstreams: boolean): Promise<number> {
  const signals = new ProcessSignals();
  const [{ pino }, { startGateway, StartError }] = await Promise.all([import('pino'), import('./supervisor/supervisor.js')]);
  const log = pino({ base: { role: 'supervisor' }, timestamp: pino.stdTimeFunctions.isoTime });
  // Start and stop lines are written whatever log.level says: operators and scripts wait for them.
  const lifecycle = log.child({}, { level: 'info' });
  signals.logTo((fields, msg) => lifecycle.info(fields, msg));
  lifecycle.info({ config: configFile }, 'tollgate starting');
  if (signals.stopRequested !== null) {
    lifecycle.info({ signal: signals.stopRequested }, 'tollgate stopped before it started');
    return 0;
  }
  let gateway: RunningGateway;
  try {
    gateway = await startGateway({
      configFile,
      workers,
      demoUpstreams: withDemoUpstreams ? startDemoChild : undefined,
    }, log);
  } catch (err) {
    const lines = err instanceof StartError ? err.lines : [(err as Error).message];
    for (const line of lines) process.stderr.write(line + '\n');
    process.stderr.write('tollgate: not started\n');
    return 1;
  }
  lifecycle.info({
    port: gateway.port, listeners: gateway.listeners, adminPort: gateway.adminPort, workers: gateway.workers, uws: gateway.uws, platform: gateway.platform,
  }, 'tollgate started');

  return new Promise<number>((resolve) => {
    const stop = (signal: StopSignal): void => {
      log.info({ signal }, 'stop requested');
      gateway.shutdown().then(() => {
        lifecycle.info({ signal }, 'tollgate stopped');
        resolve(0);
      }, (err: Error) => {
        log.error({ err }, 'shutdown failed');
        resolve(1);
      });
    };
    signals.attach({ stop, reload: () => void gateway.reload(), stats: () => void gateway.logStats() });
  });
}

/**
 * Runs `tollgate demo-upstreams` as a child and waits until its four services listen. Each
 * service listens where the config's upstream of the same name points, when that is one loopback
 * http target (config/gateway.yaml: 9001-9004), else on its default port.
 */
function startDemoChild(config: GatewayConfig): Promise<ChildProcess> {
  const cli = fileURLToPath(import.meta.url);
  const args = [cli, 'demo-upstreams'];
  for (const service of DEMO_SERVICES) {
    const port = loopbackPort(config.upstreams[service]?.targets);
    if (port !== null) args.push(`--${service}-port`, String(port));
  }
  // The IPC channel is how the child knows it was left: the kernel closes it with this process,
  // however it ends (SIGKILL included), and the demo command stops when it closes.
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    let seen = 0;
    let buffered = '';
    child.stdout!.on('data', (d: Buffer) => {
      process.stdout.write(d);
      buffered += d.toString();
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        if (buffered.slice(0, nl).includes('demo upstream listening') && ++seen === 4) resolve(child);
        buffered = buffered.slice(nl + 1);
      }
    });
    child.once('exit', (code) => reject(new Error(`demo upstreams exited with code ${code}`)));
  });
}

function loopbackPort(targets: readonly { url: string }[] | undefined): number | null {
  if (targets === undefined || targets.length !== 1) return null;
  const url = new URL(targets[0]!.url);
  if (url.protocol !== 'http:' || !['127.0.0.1', 'localhost'].includes(url.hostname)) return null;
  return url.port === '' ? 80 : Number(url.port);
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
}, (err: Error) => {
  // Every error a user can cause is answered above; this is one nobody foresaw. One line still.
  process.stderr.write(`tollgate: unexpected error: ${err.message}${'code' in err ? ` (${String(err.code)})` : ''}\n`);
  process.exitCode = 1;
});
