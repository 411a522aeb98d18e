#!/usr/bin/env node
// Parses wrk's text output (with --latency) and the `WRK_JSON` line that wrk/load.lua's done()
// prints. Times come out in milliseconds. `node native-bench/parse-wrk.mjs --self-test` checks it.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';

const TIME_UNITS_MS = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const SIZE_UNITS = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };

/** wrk's format_time_us: "634.00us", "1.10ms", "2.00s", "1.00m". */
export function parseWrkTime(text) {
  const match = /^([\d.]+)(us|ms|s|m|h)$/.exec(text.trim());
  if (!match) throw new Error(`not a wrk time: ${JSON.stringify(text)}`);
  return Number(match[1]) * TIME_UNITS_MS[match[2]];
}

/** wrk's format_binary: "436.42KB", "15.02MB", "512.00B". */
export function parseWrkSize(text) {
  const match = /^([\d.]+)(B|KB|MB|GB|TB)$/.exec(text.trim());
  if (!match) throw new Error(`not a wrk size: ${JSON.stringify(text)}`);
  return Number(match[1]) * SIZE_UNITS[match[2]];
}

function latencyDistribution(text) {
  const block = /Latency Distribution\n((?:\s+\d+%\s+\S+\n?)+)/.exec(text);
  if (!block) return null;
  const out = {};
  for (const [, pct, value] of block[1].matchAll(/(\d+)%\s+(\S+)/g)) out[`p${pct}`] = parseWrkTime(value);
  return out;
}

function socketErrors(text) {
  const match = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const [connect, read, write, timeout] = match ? match.slice(1).map(Number) : [0, 0, 0, 0];
  return { connect, read, write, timeout };
}

function doneSummary(text) {
  const line = /^WRK_JSON (\{.*\})$/m.exec(text);
  if (!line) return null;
  const raw = JSON.parse(line[1]);
  const latency = {};
  for (const [key, us] of Object.entries(raw.latency_us)) latency[key] = us / 1000;
  return { pacing: raw.pacing ?? null, requests: raw.requests, durationS: raw.duration_us / 1e6, bytes: raw.bytes, errors: raw.errors, latency };
}

/**
 * One wrk run: rps, requests, duration, transfer/s, the closed-loop latency distribution
 * (p50/p75/p90/p99 from --latency), non-2xx count, socket errors, and the done() summary if any.
 */
export function parseWrkOutput(text) {
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(text);
  if (!rps) throw new Error(`wrk printed no "Requests/sec" line:\n${text.trim().slice(-2000)}`);
  const total = /(\d+) requests in ([\d.]+\w+), ([\d.]+\w+) read/.exec(text);
  const transfer = /^Transfer\/sec:\s+(\S+)/m.exec(text);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(text);
  return {
    rps: Number(rps[1]),
    requests: total ? Number(total[1]) : null,
    durationS: total ? parseWrkTime(total[2]) / 1000 : null,
    bytesRead: total ? parseWrkSize(total[3]) : null,
    transferPerSec: transfer ? parseWrkSize(transfer[1]) : null,
    latency: latencyDistribution(text),
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    socketErrors: socketErrors(text),
    summary: doneSummary(text),
  };
}

// ---------------------------------------------------------------- self-test

const CLOSED_LOOP = `Running 10s test @ http://127.0.0.1:8080/small
  1 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   651.02us  120.33us   5.12ms   90.12%
    Req/Sec    75.12k     2.01k   78.00k    88.00%
  Latency Distribution
     50%  634.00us
     75%  680.00us
     90%    0.75ms
     99%    1.10ms
  747512 requests in 10.00s, 150.23MB read
  Socket errors: connect 0, read 2, write 0, timeout 3
Requests/sec:  74749.82
Transfer/sec:     15.02MB
`;

const FIXED_RATE = `Running 2s test @ http://127.0.0.1:18777/bad
  1 threads and 10 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   475.80us  540.98us   6.20ms   92.43%
    Req/Sec     1.00k    42.75     1.07k    80.00%
  Latency Distribution
     50%  315.00us
     75%  506.00us
     90%    0.87ms
     99%    3.15ms
  1996 requests in 2.00s, 298.23KB read
  Non-2xx or 3xx responses: 1996
Requests/sec:    997.24
Transfer/sec:    149.00KB
WRK_JSON {"pacing":"schedule","requests":1996,"duration_us":2001515,"bytes":305388,"errors":{"connect":0,"read":0,"write":0,"status":1996,"timeout":0},"latency_us":{"p50":315.0,"p90":868.0,"p99":3151.0,"p999":5711.0,"max":6195.0,"mean":475.80}}
`;

function close(actual, expected) {
  assert.ok(Math.abs(actual - expected) < 1e-9, `${actual} != ${expected}`);
}

export function selfTest() {
  close(parseWrkTime('634.00us'), 0.634);
  close(parseWrkTime('2.00s'), 2000);
  close(parseWrkTime('1.50m'), 90_000);
  assert.throws(() => parseWrkTime('12 ms'), /not a wrk time/);
  close(parseWrkSize('1.50KB'), 1536);

  const closed = parseWrkOutput(CLOSED_LOOP);
  close(closed.rps, 74749.82);
  assert.equal(closed.requests, 747512);
  close(closed.durationS, 10);
  close(closed.bytesRead, 150.23 * 1024 ** 2);
  close(closed.latency.p50, 0.634);
  close(closed.latency.p90, 0.75);
  close(closed.latency.p99, 1.1);
  assert.equal(closed.non2xx, 0);
  assert.deepEqual(closed.socketErrors, { connect: 0, read: 2, write: 0, timeout: 3 });
  assert.equal(closed.summary, null);

  const fixed = parseWrkOutput(FIXED_RATE);
  assert.equal(fixed.non2xx, 1996);
  assert.deepEqual(fixed.socketErrors, { connect: 0, read: 0, write: 0, timeout: 0 });
  assert.equal(fixed.summary.requests, 1996);
  assert.equal(fixed.summary.pacing, 'schedule');
  close(fixed.summary.durationS, 2.001515);
  close(fixed.summary.latency.p999, 5.711);
  close(fixed.summary.latency.p99, 3.151);
  assert.equal(fixed.summary.errors.status, 1996);

  assert.throws(() => parseWrkOutput('unable to connect to 127.0.0.1:1 Connection refused\n'), /no "Requests\/sec"/);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv[2] !== '--self-test') {
    process.stderr.write('usage: node native-bench/parse-wrk.mjs --self-test\n');
    process.exit(2);
  }
  selfTest();
  process.stdout.write('parse-wrk: self-test passed\n');
}
