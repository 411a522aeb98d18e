// Run as its own process by lmdb-files.ts: opens the cache environment read-only and walks every
// key of both databases. LMDB trusts its file (no checksums): a damaged one can crash the process
// that reads it, so this one reads it first, where a crash costs nothing but its exit status.
import { open } from 'lmdb';

const path = process.argv[2];
if (path === undefined) {
  process.stderr.write('usage: probe-files.js DIRECTORY\n');
  process.exit(2);
}
try {
  const root = open({ path, maxDbs: 4, readOnly: true });
  for (const name of ['entries', 'index']) {
    // Read-only, a database not created yet is undefined (a new cache).
    const db = root.openDB({ name, encoding: 'binary' }) as ReturnType<typeof root.openDB> | undefined;
    if (db === undefined) continue;
    let keys = 0;
    for (const key of db.getKeys({ snapshot: false })) if (typeof key === 'string') keys++;
    void keys;
  }
  await root.close();
  process.exit(0);
} catch (err) {
  process.stderr.write(String((err as Error).message).split('\n')[0] + '\n');
  process.exit(1);
}
