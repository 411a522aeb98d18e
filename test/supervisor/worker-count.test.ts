// How many worker threads start: `auto` follows the cores, up to the control block's slots.
import t from 'tap';
import { MAX_WORKERS } from '../../dist/shm/control-layout.js';
import { workerCount } from '../../dist/supervisor/worker-count.js';

t.test('auto is the available cores, clamped to MAX_WORKERS on a bigger machine', async (t) => {
  t.equal(workerCount('auto', 1), 1);
  t.equal(workerCount('auto', 16), 16);
  t.equal(workerCount('auto', MAX_WORKERS), MAX_WORKERS);
  t.equal(workerCount('auto', MAX_WORKERS + 1), MAX_WORKERS);
  t.equal(workerCount('auto', 1024), MAX_WORKERS);
});

t.test('a number is taken as it is (the schema and --workers keep it within 1..MAX_WORKERS)', async (t) => {
  t.equal(workerCount(3, 64), 3);
  t.equal(workerCount(MAX_WORKERS, 2), MAX_WORKERS);
});
