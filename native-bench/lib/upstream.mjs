// The upstream every contender proxies to: nginx, the cheapest server there is, pinned with wrk.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnPinned, stopProcess } from './children.mjs';
import { upstreamNginxConfig } from './native-configs.mjs';
import { freePort, waitForOk } from './probe.mjs';
import { LARGE_BODY_BYTES } from './scenarios.mjs';

export async function startUpstream(ctx, { cpus, workers }) {
  const wwwDir = join(ctx.tmp, 'www');
  mkdirSync(wwwDir, { recursive: true });
  chmodSync(wwwDir, 0o755); // nginx's workers run as nobody when the bench runs as root
  const body = Buffer.alloc(LARGE_BODY_BYTES);
  for (let i = 0; i < body.length; i++) body[i] = 97 + (i % 26);
  writeFileSync(join(wwwDir, '64k'), body, { mode: 0o644 });

  const port = await freePort();
  const conf = join(ctx.tmp, 'upstream-nginx.conf');
  writeFileSync(conf, upstreamNginxConfig({ dir: ctx.tmp, wwwDir, port, workers }));
  const proc = spawnPinned('upstream nginx', cpus, ctx.tools.nginx, ['-e', join(ctx.tmp, 'upstream.error.log'), '-p', ctx.tmp, '-c', conf]);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForOk(proc, `${url}/small`);
  } catch (error) {
    await stopProcess(proc, 2_000);
    throw error;
  }
  return { port, url, stop: () => stopProcess(proc) };
}
