// Inline vs pool for JWT signature checks: the numbers behind auth.offload's `auto` rule.
//
//   npm run build && node bench/auth-offload/run.mjs [--seconds 1] [--concurrency 32] [--threads 1]
//
// Drives the gateway's own JwtProvider (dist/auth/jwt-provider.js) the way the auth stage does,
// for HS256, RS256 and ES256, with one repeated token (the token cache answers) and with unique
// tokens (the cache off, so every request is a signature check), inline (offload: never) and in the pool (always).
// Per cell: checks/s, and the worker thread's own busy time per check (event-loop utilisation x
// elapsed / checks), which is what a gateway worker pays and cannot spend on other requests, and
// the CPU time of the whole process per check (every thread: worker, libuv pool, piscina pool).
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { JwtProvider } from '../../dist/auth/jwt-provider.js';
import { StaticKeyRing } from '../../dist/auth/key-ring.js';
import { TokenCache, tokenHash } from '../../dist/auth/token-cache.js';
import { VerifyPool } from '../../dist/auth/verify-pool.js';
import { newAuthCounters } from '../../dist/auth/counters.js';

const arg = (name, fallback) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const SECONDS = arg('seconds', 1);
const CONCURRENCY = arg('concurrency', 32);
const THREADS = arg('threads', 1);
const UNIQUE_TOKENS = arg('tokens', 3000);

async function keyFor(alg) {
  if (alg === 'HS256') {
    const secret = new TextEncoder().encode('bench-secret-0123456789abcdef0123');
    return { signWith: secret, jwk: { kty: 'oct', k: Buffer.from(secret).toString('base64url') } };
  }
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { signWith: privateKey, jwk: await exportJWK(publicKey) };
}

const config = (alg) => ({
  algorithms: [alg], secret: null, publicKeyFile: null, jwksUri: null, issuer: null, audience: null,
  clockTolerance: 0, consumerClaim: 'sub', forwardToken: false, jwksRefresh: 600_000, jwksCooldown: 30_000,
});

async function cell(alg, key, tokens, offload, pool, cacheSize) {
  const counters = newAuthCounters();
  const provider = new JwtProvider('bench', config(alg), new StaticKeyRing(key.jwk), new TokenCache(cacheSize),
    () => offload, () => pool, counters);
  // Warm-up: imports the key on this thread and in the pool threads, starts the threads.
  for (let i = 0; i < 50; i++) await provider.verify(tokens[i % tokens.length], tokenHash(tokens[i % tokens.length]));
  let next = 0;
  let done = 0;
  const deadline = performance.now() + SECONDS * 1000;
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  // The auth stage's path: cache lookup first, a check only on a miss.
  const worker = async () => {
    while (performance.now() < deadline) {
      const token = tokens[next++ % tokens.length];
      const key = tokenHash(token);
      if (provider.cached(key, Date.now()) === null) {
        const outcome = await provider.verify(token, key);
        if (!outcome.ok) throw new Error(`refused: ${JSON.stringify(outcome)}`);
      } else {
        await null; // the stage continues synchronously; yield so the loop measures the same way
      }
      done++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const elapsed = performance.now() - t0;
  const elu = performance.eventLoopUtilization(elu0);
  const cpu = process.cpuUsage(cpu0);
  return { perSecond: Math.round((done / elapsed) * 1000), busyUsPerCheck: (elu.active * 1000) / done, cpuUsPerCheck: (cpu.user + cpu.system) / done, checks: done };
}

async function main() {
  const rows = [];
  const pool = new VerifyPool(THREADS, 100_000);
  for (const alg of ['HS256', 'RS256', 'ES256']) {
    const key = await keyFor(alg);
    const sign = (i) => new SignJWT({ sub: `user-${i}` }).setProtectedHeader({ alg }).setExpirationTime('1h').sign(key.signWith);
    const unique = await Promise.all(Array.from({ length: UNIQUE_TOKENS }, (_, i) => sign(i)));
    const repeated = [await sign('repeated')];
    // Unique tokens run with the token cache off: no token is seen twice (the list is reused).
    for (const [kind, tokens, cacheSize] of [['repeated', repeated, 10_000], ['unique', unique, 0]]) {
      const inline = await cell(alg, key, tokens, false, pool, cacheSize);
      const pooled = await cell(alg, key, tokens, true, pool, cacheSize);
      rows.push({ alg, kind, inline, pooled });
      process.stderr.write(`${alg} ${kind}: inline ${inline.perSecond}/s, pool ${pooled.perSecond}/s\n`);
    }
  }
  await pool.close();
  const lines = [
    `JWT checks, ${SECONDS} s per cell, ${CONCURRENCY} in flight, pool of ${THREADS} thread(s), Node ${process.version}, ${os.availableParallelism()} cores, load average ${os.loadavg()[0].toFixed(1)} at the end`,
    '',
    '| alg | tokens | inline checks/s | inline worker µs/check | inline CPU µs/check | pool checks/s | pool worker µs/check | pool CPU µs/check |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.alg} | ${r.kind} | ${r.inline.perSecond} | ${r.inline.busyUsPerCheck.toFixed(1)} | ${r.inline.cpuUsPerCheck.toFixed(1)} | ${r.pooled.perSecond} | ${r.pooled.busyUsPerCheck.toFixed(1)} | ${r.pooled.cpuUsPerCheck.toFixed(1)} |`),
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

await main();
