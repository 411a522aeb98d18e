import { DEFAULT_DEMO_HOST, DEMO_SERVICES, type DemoService } from './demo-service.js';
import { startDemoUpstreams, type DemoUpstreamsOptions } from './start-demo-upstreams.js';

const USAGE = `usage: tollgate demo-upstreams [--host HOST] [--users-port N] [--orders-port N] [--slow-port N] [--flaky-port N]
  starts the demo services (defaults: 127.0.0.1, ports 9001-9004; port 0 picks a free one)`;

type ParsedArgs = { help: true } | { help: false; options: DemoUpstreamsOptions };

function parsePort(flag: string, text: string | undefined): number {
  const port = Number(text);
  if (text === undefined || text === '' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`${flag} needs a port number between 0 and 65535, got ${JSON.stringify(text ?? '')}`);
  }
  return port;
}

function portFlag(flag: string): DemoService | undefined {
  const service = flag.match(/^--(\w+)-port$/)?.[1];
  return DEMO_SERVICES.find((s) => s === service);
}

/** Accepts `--flag value` and `--flag=value`. */
function parseDemoArgs(argv: string[]): ParsedArgs {
  const args = argv[0] === 'demo-upstreams' ? argv.slice(1) : argv;
  const ports: Partial<Record<DemoService, number>> = {};
  let host: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '-h' || arg === '--help') return { help: true };
    const eq = arg.indexOf('=');
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    const value = eq === -1 ? args[++i] : arg.slice(eq + 1);
    const service = portFlag(flag);
    if (service !== undefined) ports[service] = parsePort(flag, value);
    else if (flag === '--host' && value !== undefined && value !== '') host = value;
    else if (flag === '--host') throw new Error('--host needs a value');
    else throw new Error(`unknown option ${JSON.stringify(arg)}`);
  }
  return { help: false, options: host === undefined ? { ports } : { host, ports } };
}

function urlOf(host: string, port: number): string {
  return host.includes(':') ? `http://[${host}]:${port}` : `http://${host}:${port}`;
}

/**
 * Resolves with what stops the services: SIGINT, SIGTERM, or 'parent-gone' when this process was
 * started with an IPC channel (`tollgate start --with-demo-upstreams` does) and the channel
 * closes. The kernel closes it when the parent ends, however it ends, so a supervisor killed with
 * SIGKILL leaves no demo services behind.
 */
function waitForStop(): Promise<NodeJS.Signals | 'parent-gone'> {
  return new Promise((resolve) => {
    const stop = (reason: NodeJS.Signals | 'parent-gone'): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.off('disconnect', parentGone);
      resolve(reason);
    };
    const parentGone = (): void => stop('parent-gone');
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    if (process.channel !== undefined) {
      process.on('disconnect', parentGone);
      // The channel alone must not keep the process alive once the services are closed.
      process.channel.unref();
    }
  });
}

/** `tollgate demo-upstreams`: runs until SIGINT/SIGTERM; resolves the exit code. */
export async function runDemoUpstreamsCommand(argv: string[]): Promise<number> {
  let parsed: ParsedArgs;
  try {
    parsed = parseDemoArgs(argv);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 1;
  }
  if (parsed.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let upstreams;
  try {
    upstreams = await startDemoUpstreams(parsed.options);
  } catch (error) {
    process.stderr.write(`${JSON.stringify({ msg: 'demo upstreams failed to start', err: (error as Error).message })}\n`);
    return 1;
  }
  const stopped = waitForStop();
  const host = parsed.options.host ?? DEFAULT_DEMO_HOST;
  for (const service of DEMO_SERVICES) {
    const url = urlOf(host, upstreams.ports[service]);
    process.stdout.write(`${JSON.stringify({ msg: 'demo upstream listening', service, url })}\n`);
  }
  const reason = await stopped;
  await upstreams.close();
  const line = reason === 'parent-gone' ? { msg: 'demo upstreams stopped: the process that started them is gone' } : { msg: 'demo upstreams stopped', signal: reason };
  // stdout may be a pipe whose reader is gone with the parent: that write error is not ours to report.
  process.stdout.on('error', () => {});
  process.stdout.write(`${JSON.stringify(line)}\n`);
  return 0;
}
