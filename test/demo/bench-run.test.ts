import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';

const RUN = fileURLToPath(new URL('../../bench/run.mjs', import.meta.url));
// Short, light runs: these check the script, not the numbers.
const QUICK = ['--duration', '1', '--warmup', '0', '--connections', '4', '--upstream-port', '0'];

interface BenchRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

async function bench(args: string[]): Promise<BenchRun> {
  const child = spawn(process.execPath, [RUN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(killer);
  return { code, stdout, stderr };
}

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-bench-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

t.test('--pipelining above 1 is refused with the reason, before anything starts', async (t) => {
  const run = await bench(['--pipelining', '10']);
  t.equal(run.code, 1);
  t.match(run.stderr, /pipelining above 1 is refused: the bundled uWebSockets\.js closes a connection/);
  const one = await bench(['--pipelining', '1', '--help']);
  t.equal(one.code, 0, '--pipelining 1 is accepted');
  t.match(one.stdout, /--pipelining N/);
});

t.test('--direct-only measures the upstream and writes timestamped and latest results', async (t) => {
  const out = tempDir(t);
  const run = await bench([...QUICK, '--direct-only', '--scenario', 'small', '--scenario', 'static', '--out', out]);
  t.equal(run.code, 0, run.stderr);
  t.match(run.stdout, /scenario\s+target\s+req\/s\s+p50 ms\s+p99 ms\s+gateway\/direct/);
  const files = readdirSync(out).sort();
  t.equal(files.length, 6, `files: ${files.join(', ')}`);
  t.ok(files.includes('latest.json') && files.includes('latest.md') && files.includes('latest.svg'));
  t.ok(files.some((f) => /^\d{4}-\d\d-\d\dT.*Z\.json$/.test(f)), 'a timestamped json');
  const report = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8'));
  t.same(report.rows.map((r: { scenario: string; target: string }) => `${r.scenario}/${r.target}`), ['small/direct', 'static/direct']);
  const small = report.rows[0];
  t.ok(small.rps > 0, `small direct: ${small.rps} req/s`);
  t.ok(small.p99 >= small.p50, 'p99 >= p50');
  t.equal(small.non2xx, 0);
  t.equal(small.errors, 0);
  t.equal(report.rows[1].rps, small.rps, 'static reuses the direct /small run');
  t.match(readFileSync(join(out, 'latest.md'), 'utf8'), /\| small \| direct \| \d+ \|/);
  t.match(readFileSync(join(out, 'latest.md'), 'utf8'), /!\[requests\/s per scenario\]\(latest\.svg\)/, 'the Markdown shows the chart');
  const svg = readFileSync(join(out, 'latest.svg'), 'utf8');
  t.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  t.match(svg, /<title>small direct: \d+ req\/s, p50 [\d.]+ ms, p99 [\d.]+ ms<\/title>/, 'a bar per measured row');
  t.match(svg, /static \(GET \/small\)/, 'a panel per scenario');
});

t.test('--compare exits 1 and flags a run more than 5% slower than the saved one', async (t) => {
  const out = tempDir(t);
  const fast = { startedAt: 'saved', rows: [{ scenario: 'small', target: 'direct', rps: 1e9 }] };
  const slow = { startedAt: 'saved', rows: [{ scenario: 'small', target: 'direct', rps: 1 }] };
  writeFileSync(join(out, 'fast.json'), JSON.stringify(fast));
  writeFileSync(join(out, 'slow.json'), JSON.stringify(slow));
  const args = [...QUICK, '--direct-only', '--scenario', 'small', '--out', out];
  const worse = await bench([...args, '--compare', join(out, 'fast.json')]);
  t.equal(worse.code, 1);
  t.match(worse.stdout, /small\s+direct\s+1000000000\s+\d+\s+-\d+\.\d%\s+SLOWER/);
  t.match(worse.stderr, /more than 5% slower/);
  const better = await bench([...args, '--compare', join(out, 'slow.json')]);
  t.equal(better.code, 0, better.stderr);
  t.notMatch(better.stdout, /SLOWER/);
});

t.test('bad options and compare files fail before measuring', async (t) => {
  const unknown = await bench(['--scenario', 'nope']);
  t.equal(unknown.code, 1);
  t.match(unknown.stderr, /unknown scenario "nope"/);
  const missing = await bench(['--compare', '/nonexistent/saved.json']);
  t.equal(missing.code, 1);
  t.match(missing.stderr, /--compare \/nonexistent\/saved\.json/);
});

t.test('a gateway that fails to start ends the bench with its stderr and exit 1', async (t) => {
  const dir = tempDir(t);
  const config = join(dir, 'broken.yaml');
  const [listen, admin] = [await freePort(), await freePort()];
  writeFileSync(
    config,
    `listen: { host: 127.0.0.1, port: ${listen} }\nadmin: { host: 127.0.0.1, port: ${admin} }\nnotAKey: true\nroutes: []\n`,
  );
  const run = await bench([...QUICK, '--config', config, '--workers', '1', '--out', dir]);
  t.equal(run.code, 1);
  t.match(run.stderr, /the gateway \(--workers 1\) exited with code \d+ before it was ready/);
  t.match(run.stderr, /--- gateway stderr ---/);
  t.match(run.stderr, /notAKey/, 'the gateway explains itself');
  t.notOk(readdirSync(dir).some((f) => f.startsWith('latest')), 'no results are written');
});
