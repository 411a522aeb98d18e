// The soak harness (npm run soak) run for a few seconds, so that it cannot rot between the long
// runs: it starts the gateway with its demo upstreams, drives the traffic, samples, and writes a
// report with samples and slopes. Its verdict arithmetic is checked on its own as well.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { linearFit, soakVerdict } from '../../bench/soak/slope.mjs';

const RUN = fileURLToPath(new URL('../../bench/soak/run.mjs', import.meta.url));

t.test('linearFit and soakVerdict', async (t) => {
  t.same(linearFit([[0, 1], [1, 3], [2, 5]]), { slope: 2, intercept: 1 }, 'an exact line');
  t.equal(linearFit([[1, 1]]), null, 'one point fits nothing');
  t.equal(linearFit([[1, 1], [1, 2]]), null, 'nor do points at one x');
  // t in seconds, slopes per minute: RSS +2 MiB/min, fds flat after a warm-up jump.
  const samples = [0, 60, 120, 180, 240].map((t, i) => ({ t, rssMiB: i === 0 ? 50 : 100 + (2 * t) / 60, fds: i === 0 ? 10 : 40 }));
  const within = soakVerdict(samples, { warmupSeconds: 60, rssBound: 3, fdBound: 0.5 });
  t.equal(within.rssAnon, null, 'no anonymous RSS fit where it was not sampled');
  t.equal(within.samplesAfterWarmup, 4, 'the warm-up sample is left out');
  t.ok(Math.abs(within.rss!.slopePerMin - 2) < 1e-9, 'RSS slope per minute, after the warm-up');
  t.ok(Math.abs(within.fd!.slopePerMin) < 1e-9, 'a flat fd count');
  t.equal(within.pass, true);
  const above = soakVerdict(samples, { warmupSeconds: 60, rssBound: 1, fdBound: 0.5, problems: ['a worker crashed'] });
  t.equal(above.pass, false);
  t.same(above.reasons, ['a worker crashed', 'RSS grows 2.000 MiB/min after the warm-up, above the bound of 1 MiB/min']);
  const short = soakVerdict(samples.slice(0, 2), { warmupSeconds: 60, rssBound: 1, fdBound: 1 });
  t.equal(short.pass, false, 'too few samples after the warm-up is no pass');
});

t.test('a short soak run writes a report with samples, per-worker figures and slopes', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'tollgate-soak-test-'));
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  // Light on purpose: this checks the harness, not the gateway's memory. Generous bounds, since
  // 12 s is all warm-up as far as memory goes.
  const args = ['--minutes', '0.2', '--sample-seconds', '2', '--warmup-seconds', '4', '--rate', '200', '--connections', '4',
    '--reload-seconds', '5', '--abort-interval-ms', '200', '--rss-bound', '100000', '--fd-bound', '100000', '--note', 'harness test', '--out', out];
  const child = spawn(process.execPath, [RUN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(killer);
  t.equal(code, 0, 'exit 0', { stdout, stderr: stderr.slice(-4000) });
  t.match(stdout, /^soak PASS: RSS [+-]\d+\.\d{3} MiB\/min \(bound 100000\) \(anonymous [+-]\d+\.\d{3} MiB\/min\), open fds [+-]\d+\.\d{3} fds\/min \(bound 100000\)/m);

  const files = readdirSync(out).sort();
  t.equal(files.length, 6, `timestamped and latest json, md and svg: ${files.join(', ')}`);
  const report = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8'));
  t.ok(report.samples.length >= 6, `a sample every 2 s (${report.samples.length})`);
  t.ok(report.samples.every((s: { rssMiB: number; rssAnonMiB: number; rssFileMiB: number }) =>
    s.rssMiB > 0 && s.rssAnonMiB > 0 && s.rssFileMiB > 0 && s.rssAnonMiB + s.rssFileMiB <= s.rssMiB + 0.1),
  'each sample has the RSS of the gateway process, and its anonymous and file-backed parts');
  t.ok(report.samples.every((s: { fds: number; fdsPeak: number; fdsNow: number }) => s.fds > 0 && s.fds <= s.fdsNow && s.fdsNow <= s.fdsPeak),
  'and the fewest and most open fds since the previous sample, around the count at the sample');
  const workers = report.samples.at(-1).workers as { index: number; heapUsedMiB: number; eventLoopDelayMs: { p99: number } }[];
  t.same(workers.map((w) => w.index).sort(), [0, 1], 'and the figures of each of the 2 workers');
  t.ok(workers.every((w) => w.heapUsedMiB > 0 && typeof w.eventLoopDelayMs.p99 === 'number'), 'heap and event-loop delay per worker');
  t.type(report.verdict.rss.slopePerMin, 'number', 'an RSS slope');
  t.type(report.verdict.rssAnon.slopePerMin, 'number', 'an anonymous RSS slope');
  t.type(report.verdict.fd.slopePerMin, 'number', 'an fd slope');
  t.equal(report.verdict.pass, true, `passes (${report.verdict.reasons.join('; ')})`);
  t.ok(report.traffic.requests > 500, `traffic ran (${report.traffic.requests} answers)`);
  for (const status of ['200', '404', '500', '502', '504']) t.ok(report.traffic.byStatus[status] > 0, `the mix got ${status} answers`);
  t.ok(report.traffic.reloads.ok >= 1 && report.traffic.reloads.failed === 0, `reloads applied (${report.traffic.reloads.ok})`);
  t.ok(Object.values(report.traffic.aborts as Record<string, number>).every((n) => n > 0), 'clients left mid-request, of each kind');
  t.equal(report.gateway.crashes, 0);
  t.equal(report.gateway.exit, 'code 0', 'the gateway stopped cleanly');
  const md = readFileSync(join(out, 'latest.md'), 'utf8');
  t.match(md, /^# Tollgate soak, .*: PASS/);
  t.match(md, /!\[.*\]\(latest\.svg\)/, 'the Markdown shows the chart');
  t.match(md, /\| process RSS \| [+-]\d+\.\d{3} MiB\/min \| 100000 MiB\/min \| within \|/);
  t.match(md, /\| anonymous part of RSS \| [+-]\d+\.\d{3} MiB\/min \| - \| shown, not bounded \|/);
  t.match(md, /Note: harness test/);
  const svg = readFileSync(join(out, 'latest.svg'), 'utf8');
  t.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  for (const title of ['Process RSS (MiB)', 'Open file descriptors', 'Heap used per worker (MiB)', 'Event-loop delay p99 per worker (ms)']) {
    t.match(svg, `>${title}</text>`, `a ${title} panel`);
  }
});
