// Preloaded into a Tollgate to see where its garbage comes from (`node --require
// native-bench/lib/heap-sampler.cjs`, see PROFILE.md): every thread (Worker threads inherit the
// flag) runs V8's sampling heap profiler through its own inspector session, with the objects
// already collected kept in the samples (`node --heap-prof` keeps only those still alive, which
// hides short-lived garbage, the very thing to find), and writes
// $NATIVE_BENCH_HEAP_DIR/<role>.heapprofile. It samples from $NATIVE_BENCH_HEAP_DELAY seconds
// after the thread starts (default 0; start-up allocates far more than steady traffic) for
// $NATIVE_BENCH_HEAP_SECONDS seconds (default: until the thread ends).
// Read the files with native-bench/heap-top.mjs.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { Session } = require('node:inspector');
const { isMainThread, threadId, workerData } = require('node:worker_threads');

const dir = process.env.NATIVE_BENCH_HEAP_DIR;
if (dir) {
  const role = isMainThread ? 'supervisor' : workerData && workerData.init ? `worker-${workerData.init.index}` : `thread-${threadId}`;
  const session = new Session();
  session.connect();
  let started = false;
  let written = false;
  const start = () => {
    started = true;
    session.post('HeapProfiler.startSampling', {
      samplingInterval: Number(process.env.NATIVE_BENCH_HEAP_INTERVAL || 4096),
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  };
  const write = () => {
    if (written || !started) return;
    written = true;
    session.post('HeapProfiler.stopSampling', (err, result) => {
      if (!err) fs.writeFileSync(path.join(dir, `${role}.heapprofile`), JSON.stringify(result.profile));
    });
  };
  const delay = Number(process.env.NATIVE_BENCH_HEAP_DELAY || 0);
  const seconds = Number(process.env.NATIVE_BENCH_HEAP_SECONDS || 0);
  if (delay > 0) setTimeout(start, delay * 1000).unref();
  else start();
  if (seconds > 0) setTimeout(write, (delay + seconds) * 1000).unref();
  process.on('exit', write);
}
