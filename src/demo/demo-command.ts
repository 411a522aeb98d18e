import { DEFAULT_DEMO_HOST, DEMO_SERVICES } from './demo-service.js';
import { startDemoUpstreams, type DemoUpstreamsOptions } from './start-demo-upstreams.js';

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

/** `tollgate demo-upstreams` (its options checked by the CLI): runs until SIGINT/SIGTERM; resolves the exit code. */
export async function runDemoUpstreamsCommand(options: DemoUpstreamsOptions): Promise<number> {
  let upstreams;
  try {
    upstreams = await startDemoUpstreams(options);
  } catch (error) {
    process.stderr.write(`${JSON.stringify({ msg: 'demo upstreams failed to start', err: (error as Error).message })}\n`);
    return 1;
  }
  const stopped = waitForStop();
  const host = options.host ?? DEFAULT_DEMO_HOST;
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
