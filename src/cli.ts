#!/usr/bin/env node
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { GatewayConfig } from './config/types.js';
import { DEMO_SERVICES } from './demo/demo-service.js';
import { MAX_WORKERS } from './shm/control-layout.js';
import { ProcessSignals, type StopSignal } from './supervisor/process-signals.js';
import type { RunningGateway } from './supervisor/supervisor.js';

// Only light modules are imported statically: `start` installs its signal handlers before it
// loads the rest (pino, the config loader, the supervisor): a few hundred milliseconds.

const USAGE = `Usage:
  tollgate start [-c FILE] [--workers N] [--with-demo-upstreams]
  tollgate validate -c FILE
  tollgate demo-upstreams [--host H] [--users-port N] [--orders-port N] [--slow-port N] [--flaky-port N]
  tollgate --version
TOLLGATE_UWS=current|legacy forces one of the two bundled uWebSockets.js builds.
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start': return start(rest);
    case 'validate': {
      const { values } = parseArgs({ args: rest, options: { config: { type: 'string', short: 'c' } } });
      if (values.config === undefined) {
        process.stderr.write('tollgate validate: -c FILE is required\n');
        return 2;
      }
      const { runValidate } = await import('./config/validate-command.js');
      return runValidate(values.config);
    }
    case 'demo-upstreams': {
      const { runDemoUpstreamsCommand } = await import('./demo/index.js');
      return runDemoUpstreamsCommand(rest);
    }
    case '--version': return version();
    case undefined:
    case '-h':
    case '--help':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`tollgate: unknown command "${command}"\n${USAGE}`);
      return 2;
  }
}

/** Tollgate's version, the uWebSockets.js build that loads here, Node and the platform. */
async function version(): Promise<number> {
  const { readFileSync } = await import('node:fs');
  const { describePlatform, loadUws } = await import('./http/load-uws.js');
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  process.stdout.write(`tollgate ${pkg.version}\n`);
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

async function start(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string', short: 'c', default: 'config/gateway.yaml' },
      workers: { type: 'string' },
      'with-demo-upstreams': { type: 'boolean', default: false },
    },
  });
  let workers: number | 'auto' | undefined;
  if (values.workers !== undefined) {
    workers = values.workers === 'auto' ? 'auto' : /^[0-9]+$/.test(values.workers) ? Number(values.workers) : NaN;
    if (workers !== 'auto' && (!Number.isInteger(workers) || workers < 1 || workers > MAX_WORKERS)) {
      process.stderr.write(`tollgate start: --workers must be auto or an integer from 1 to ${MAX_WORKERS}, got "${values.workers}"\n`);
      return 2;
    }
  }
  const signals = new ProcessSignals();
  const [{ pino }, { startGateway, StartError }] = await Promise.all([import('pino'), import('./supervisor/supervisor.js')]);
  const log = pino({ base: { role: 'supervisor' }, timestamp: pino.stdTimeFunctions.isoTime });
  // Start and stop lines are written whatever log.level says: operators and scripts wait for them.
  const lifecycle = log.child({}, { level: 'info' });
  signals.logTo((fields, msg) => lifecycle.info(fields, msg));
  lifecycle.info({ config: values.config }, 'tollgate starting');
  if (signals.stopRequested !== null) {
    lifecycle.info({ signal: signals.stopRequested }, 'tollgate stopped before it started');
    return 0;
  }
  let gateway: RunningGateway;
  try {
    gateway = await startGateway({
      configFile: values.config,
      workers,
      demoUpstreams: values['with-demo-upstreams'] ? startDemoChild : undefined,
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
  process.stderr.write(`tollgate: ${err.stack ?? err.message}\n`);
  process.exitCode = 1;
});
