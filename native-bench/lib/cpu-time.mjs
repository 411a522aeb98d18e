// CPU time used by a contender, from /proc: user + system time of every process in its process
// group (nginx's master and worker, Tollgate's threads). Divided by the requests of a run, it
// gives CPU microseconds per request: how much work a proxy does per request, which moves far
// less than requests/s when the machine's capacity drifts or the load generator is the limit.
import { readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

let ticksPerSecond = 0;

function clockTicks() {
  if (ticksPerSecond === 0) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** CPU seconds used so far by the processes of group `pgid`; null where /proc cannot tell. */
export function groupCpuSeconds(pgid) {
  if (pgid === undefined || pgid === null) return null;
  let ticks = 0;
  let found = false;
  let names;
  try {
    names = readdirSync('/proc');
  } catch {
    return null;
  }
  for (const name of names) {
    if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // After "pid (comm) ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(f[2]) !== pgid) continue;
    found = true;
    ticks += Number(f[11]) + Number(f[12]);
  }
  return found ? ticks / clockTicks() : null;
}

/** Runs `fn` (a wrk run resolving to { requests }) and adds `cpuUsPerRequest` to its result. */
export async function withCpuPerRequest(pgid, fn) {
  const before = groupCpuSeconds(pgid);
  const result = await fn();
  const after = groupCpuSeconds(pgid);
  const requests = result.requests ?? null;
  result.cpuSeconds = before === null || after === null ? null : after - before;
  result.cpuUsPerRequest = result.cpuSeconds === null || !requests ? null : (result.cpuSeconds * 1e6) / requests;
  return result;
}
