import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { resultsDir } from '../../native-bench/lib/report-files.mjs';
import { readOptions as readNativeOptions } from '../../native-bench/lib/options.mjs';

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
  t.match(run.stdout, /scenario\s+target\s+throughput\s+latency p50\s+latency p99\s+gateway\/direct/);
  t.match(run.stdout, /small\s+direct\s+\d+ req\/s\s+\d+\.\d{3} ms\s+\d+\.\d{3} ms/, 'every figure has its unit; latencies keep microseconds');
  const files = readdirSync(out).sort();
  t.equal(files.length, 6, `files: ${files.join(', ')}`);
  t.ok(files.includes('latest.json') && files.includes('latest.md') && files.includes('latest.svg'));
  t.ok(files.some((f) => /^\d{4}-\d\d-\d\dT.*Z\.json$/.test(f)), 'a timestamped json');
  const report = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8'));
  t.same(report.rows.map((r: { scenario: string; target: string }) => `${r.scenario}/${r.target}`), ['small/direct', 'static/direct']);
  const small = report.rows[0];
  t.ok(small.rps > 0, `small direct: ${small.rps} req/s`);
  t.ok(small.p99Ms >= small.p50Ms && small.p50Ms > 0, `p50 ${small.p50Ms} ms, p99 ${small.p99Ms} ms`);
  t.ok(Number.isInteger(Math.round(small.p50Ms * 1000 * 1000) / 1000), 'latencies are whole microseconds');
  t.notOk(Number.isInteger(small.p50Ms) && Number.isInteger(small.p99Ms), 'not whole milliseconds (autocannon\'s own histogram)');
  t.equal(small.non2xx, 0);
  t.equal(small.errors, 0);
  t.equal(report.rows[1].rps, small.rps, 'static reuses the direct /small run');
  t.match(readFileSync(join(out, 'latest.md'), 'utf8'), /\| small \| direct \| \d+ req\/s \| \d+\.\d{3} ms \| \d+\.\d{3} ms \|/);
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
  t.match(worse.stdout, /small\s+direct\s+1000000000 req\/s\s+\d+ req\/s\s+-\d+\.\d%\s+SLOWER/);
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

t.test('results go to a git-ignored folder unless --save (or --out)', async (t) => {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const help = await bench(['--help']);
  t.match(help.stdout, /--save\s+keep the results: write them to bench\/results\//);
  t.equal(resultsDir(join(root, 'bench/results'), { save: false }), join(root, 'bench/results/local'));
  t.equal(resultsDir(join(root, 'bench/results'), { save: true }), join(root, 'bench/results'));
  t.equal(resultsDir(join(root, 'bench/results'), { out: 'elsewhere', save: true }), resolve('elsewhere'));
  t.equal(readNativeOptions([], join(root, 'native-bench')).out, join(root, 'native-bench/results/local'), 'native-bench too');
  t.equal(readNativeOptions(['--save'], join(root, 'native-bench')).out, join(root, 'native-bench/results'));
  for (const dir of ['bench/results/local', 'native-bench/results/local', 'bench/router/local']) {
    const ignored = spawnSync('git', ['check-ignore', '-q', join(dir, 'latest.json')], { cwd: root });
    t.equal(ignored.status, 0, `${dir} is git-ignored`);
  }
  const tracked = spawnSync('git', ['check-ignore', '-q', 'bench/results/latest.json'], { cwd: root });
  t.equal(tracked.status, 1, 'bench/results itself is not');
});
