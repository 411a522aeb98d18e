// Free ports, one-off HTTP requests and readiness polling for the contenders.
import http from 'node:http';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeExit, hasExited, outputOf } from './children.mjs';

/** `count` distinct free ports: all are held open until each is found, then released. */
export async function freePorts(count) {
  const servers = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
      });
    }
    return servers.map((server) => server.address().port);
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

export async function freePort() {
  const [port] = await freePorts(1);
  return port;
}

/**
 * One request on its own connection (agent: false sends Connection: close), so no keep-alive
 * socket of the bench stays open on a contender that is about to be measured or stopped.
 */
export function httpRequest(url, { method = 'GET', body, headers: extra = {}, timeoutMs = 2_000 } = {}) {
  return new Promise((resolve, reject) => {
    const headers = { ...extra, ...(body ? { 'content-type': 'application/octet-stream', 'content-length': body.length } : {}) };
    const req = http.request(url, { method, headers, agent: false, timeout: timeoutMs }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Polls `url` until it answers 200, failing early when `proc` exits. */
export async function waitForOk(proc, url, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (hasExited(proc)) {
      const exit = await proc.exited;
      throw new Error(`${proc.name} exited with ${describeExit(exit)} before it was ready\n${outputOf(proc)}`);
    }
    try {
      const res = await httpRequest(url, { timeoutMs: 1_000 });
      if (res.status === 200) return;
      last = `GET ${url} answered ${res.status}`;
    } catch (error) {
      last = `GET ${url} failed: ${error.code ?? error.message}`;
    }
    await sleep(100);
  }
  throw new Error(`${proc.name} was not ready after ${timeoutMs / 1000} s (${last})\n${outputOf(proc)}`);
}
