// Preloaded into a Tollgate under measurement by `run.mjs --gc` (`node --require
// native-bench/lib/gc-meter.cjs`): Worker threads inherit the flag, so every thread of the gateway
// (the supervisor, each worker, the spare) runs it. Nothing in the gateway's own code: a build
// without it (a --baseline) is measured the same way, and a gateway started without the flag
// pays nothing.
//
// Every second each thread appends one JSON line to $NATIVE_BENCH_GC_OUT: the bytes its isolate
// allocated since it started, and the count and time of each kind of collection. Allocation is
// measured exactly from V8's GCProfiler (heap used before and after each collection) and
// getHeapStatistics (heap used now): the bytes allocated between two collections are the growth
// of the used heap between them. The meter's own allocation (its line, the profiler's report)
// is left out: the count restarts from the heap used after the meter ran.
'use strict';
const v8 = require('node:v8');
const fs = require('node:fs');
const { isMainThread, threadId, workerData } = require('node:worker_threads');

const out = process.env.NATIVE_BENCH_GC_OUT;
if (out) {
  const fd = fs.openSync(out, 'a');
  // A Tollgate worker thread starts with its slot (workerData.init) or as a spare (init null).
  const role = isMainThread ? 'supervisor' : workerData && workerData.init ? `worker ${workerData.init.index}` : 'spare';
  const profiler = new v8.GCProfiler();
  profiler.start();
  let used = v8.getHeapStatistics().used_heap_size;
  let allocated = 0;
  const gc = {};
  const tick = () => {
    const now = v8.getHeapStatistics().used_heap_size;
    const report = profiler.stop();
    profiler.start();
    for (const s of report.statistics) {
      allocated += Math.max(0, s.beforeGC.heapStatistics.usedHeapSize - used);
      used = s.afterGC.heapStatistics.usedHeapSize;
      const kind = (gc[s.gcType] ??= { count: 0, ms: 0 });
      kind.count++;
      kind.ms += s.cost / 1000; // microseconds
    }
    allocated += Math.max(0, now - used);
    fs.writeSync(fd, `${JSON.stringify({ t: Date.now(), thread: threadId, role, allocated, gc })}\n`);
    used = v8.getHeapStatistics().used_heap_size;
  };
  tick();
  setInterval(tick, 1000).unref();
}
