// What a hit from a worker's own copy reads once per copy (src/stages/cache/served-copy.ts): the
// entry's fields as entry-format.ts decodes them, and the stored lines with a fresh hit's labels,
// rendered again only when Age or the ttl changed.
import t from 'tap';
import { encodeEntry, FLAG_AUTH_OK, KIND_ANSWER, KIND_VARY } from '../../dist/cache/entry-format.js';
import { HotCopy } from '../../dist/cache/hot-entries.js';
import { renderHead } from '../../dist/cache/render-head.js';
import { servedCopy } from '../../dist/stages/cache/served-copy.js';

function entry(kind: number, head: string[], flags = 0): Uint8Array {
  const rendered = renderHead(head, () => true);
  const buf = encodeEntry({
    kind, status: 203, flags, storedAt: 1_000_000, freshUntil: 1_060_000, swrUntil: 1_065_000, sieUntil: 1_660_000,
    initialAge: 4, fingerprint: 0xfeedf00d, hash: 0x80000002, head: rendered.block, nameLength: rendered.nameLength,
    etag: '"e"', lastModified: '', vary: '', policy: Buffer.from([9]), body: Buffer.from('body bytes'),
  });
  // A copy as hot-entries.ts keeps it: a plain Uint8Array of exactly the entry.
  return new Uint8Array(buf);
}

const text = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');

t.test('the fields, read once per copy', async (t) => {
  const copy = new HotCopy(entry(KIND_ANSWER, ['server', 'up', 'content-type', 'text/plain'], FLAG_AUTH_OK));
  const served = servedCopy(copy);
  t.ok(served !== null);
  t.equal(servedCopy(copy), served, 'the same object for the next hit');
  t.equal(served!.status, 203);
  t.equal(served!.fingerprint, 0xfeedf00d);
  t.equal(served!.hash, 0x80000002);
  t.equal(served!.freshUntil, 1_060_000);
  t.equal(served!.storedAt, 1_000_000);
  t.equal(served!.initialAge, 4);
  t.equal(served!.authorizationOk, true);
  t.equal(served!.nameLength, 6, 'the first stored name (server)');
  t.equal(text(served!.body), 'body bytes');
  t.equal(served!.bodyLength, 10);
  t.equal(servedCopy(new HotCopy(entry(KIND_ANSWER, [], 0)))!.authorizationOk, false);
});

t.test('a copy that holds no answer has no served form', async (t) => {
  const marker = new HotCopy(entry(KIND_VARY, []));
  t.equal(servedCopy(marker), null);
  t.equal(servedCopy(marker), null, 'and is not decoded again');
  t.equal(servedCopy(new HotCopy(new Uint8Array([1, 2, 3]))), null, 'nor is anything else');
});

t.test('the labelled lines: rendered when Age or the ttl changes, kept otherwise', async (t) => {
  const served = servedCopy(new HotCopy(entry(KIND_ANSWER, ['content-type', 'text/plain', 'x-kept', 'yes'])))!;
  const first = served.hitLines(4, 59);
  t.equal(text(first), 'content-type: text/plain\r\nx-kept: yes\r\nage: 4\r\nx-cache: HIT\r\ncache-status: Tollgate; hit; ttl=59');
  t.equal(served.hitLines(4, 59), first, 'unchanged: the same bytes, not rendered again');
  t.equal(text(served.hitLines(5, 59)), 'content-type: text/plain\r\nx-kept: yes\r\nage: 5\r\nx-cache: HIT\r\ncache-status: Tollgate; hit; ttl=59');
  t.equal(text(served.hitLines(5, 58)), 'content-type: text/plain\r\nx-kept: yes\r\nage: 5\r\nx-cache: HIT\r\ncache-status: Tollgate; hit; ttl=58');
  t.equal(text(first), 'content-type: text/plain\r\nx-kept: yes\r\nage: 4\r\nx-cache: HIT\r\ncache-status: Tollgate; hit; ttl=59', 'lines handed out earlier are never written over');

  const bare = servedCopy(new HotCopy(entry(KIND_ANSWER, [])))!;
  t.equal(text(bare.hitLines(0, 1)), 'age: 0\r\nx-cache: HIT\r\ncache-status: Tollgate; hit; ttl=1', 'no stored lines: the labels alone');
});
