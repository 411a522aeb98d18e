#!/usr/bin/env node
// Where a thread's allocation goes: the allocation sites of a V8 sampling heap profile
// (`node --heap-prof`, one .heapprofile per thread), largest first. See PROFILE.md for how the
// profiles of the supervisor and the worker are taken.
//   node native-bench/heap-top.mjs FILE.heapprofile [--top N] [--by site|owner]
// site: the allocating function and its line; owner: the innermost frame in Tollgate's own code
// (dist/), so that allocation inside Node or a dependency is counted to the Tollgate call that
// caused it.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '30' }, by: { type: 'string', default: 'site' } } });
if (positionals.length !== 1) {
  console.error('usage: node native-bench/heap-top.mjs FILE.heapprofile [--top N] [--by site|owner]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(positionals[0], 'utf8'));
const short = (url) => url.replace(/^.*\/(dist|node_modules)\//, '$1/').replace(/^node:/, '');
const frame = (cf) => `${cf.functionName || '(anonymous)'} ${short(cf.url)}:${cf.lineNumber + 1}`;
const ours = (cf) => /\/dist\//.test(cf.url) && !/node_modules/.test(cf.url);

const totals = new Map();
let all = 0;
function walk(node, owner) {
  const here = ours(node.callFrame) ? frame(node.callFrame) : owner;
  if (node.selfSize > 0) {
    const key = values.by === 'owner' ? (here ?? `(outside dist) ${frame(node.callFrame)}`) : frame(node.callFrame);
    totals.set(key, (totals.get(key) ?? 0) + node.selfSize);
    all += node.selfSize;
  }
  for (const child of node.children) walk(child, here);
}
walk(profile.head, null);
console.log(`sampled ${(all / 1024).toFixed(0)} KiB in all`);
for (const [key, bytes] of [...totals].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top))) {
  console.log(`${((100 * bytes) / all).toFixed(1).padStart(5)}%  ${(bytes / 1024).toFixed(0).padStart(7)} KiB  ${key}`);
}
