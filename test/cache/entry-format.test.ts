import t from 'tap';
import {
  encodeEntry, entryBody, entryBodyLength, entryEtag, entryFingerprint, entryFlags, entryFreshUntil, entryHash, entryHead,
  entryInitialAge, entryLastModified, entryNameLength, entryPolicy, entrySieUntil, entryStatus, entryStoredAt, entrySwrUntil,
  entryVary, FLAG_AUTH_OK, isEntry, KIND_ANSWER, KIND_VARY,
} from '../../dist/cache/entry-format.js';
import { parseHead, renderHead, storedHasServer } from '../../dist/cache/render-head.js';

t.test('an entry reads back field by field, from a Buffer or a plain Uint8Array view at an offset', async (t) => {
  const head = renderHead(['content-type', 'text/plain', 'x-obs', Buffer.from([0x61, 0xe9]), 'age', '3'], (name) => name !== 'age');
  t.equal(head.block.toString('latin1'), 'content-type: text/plain\r\nx-obs: a\xe9');
  t.equal(head.nameLength, 'content-type'.length);
  const body = Buffer.from('the body');
  const buf = encodeEntry({
    kind: KIND_ANSWER, status: 203, flags: FLAG_AUTH_OK, storedAt: 1_700_000_000_123.5, freshUntil: 1_700_000_060_000,
    swrUntil: 1_700_000_065_000, sieUntil: 1_700_000_660_000, initialAge: 12.25, fingerprint: 0xdeadbeef, hash: 0x80000001,
    head: head.block, nameLength: head.nameLength, etag: 'W/"e1"', lastModified: 'Mon, 01 Jan 2024 00:00:00 GMT', vary: '',
    policy: Buffer.from([1, 2, 3]), body,
  });
  // As lmdb-js may hand it over: a Uint8Array over a larger memory region, not at offset 0.
  const region = new Uint8Array(buf.length + 16);
  region.set(buf, 7);
  for (const view of [buf, region.subarray(7, 7 + buf.length)]) {
    t.ok(isEntry(view, KIND_ANSWER));
    t.notOk(isEntry(view, KIND_VARY));
    t.equal(entryStatus(view), 203);
    t.equal(entryFlags(view), FLAG_AUTH_OK);
    t.equal(entryStoredAt(view), 1_700_000_000_123.5);
    t.equal(entryFreshUntil(view), 1_700_000_060_000);
    t.equal(entrySwrUntil(view), 1_700_000_065_000);
    t.equal(entrySieUntil(view), 1_700_000_660_000);
    t.equal(entryInitialAge(view), 12.25);
    t.equal(entryFingerprint(view), 0xdeadbeef);
    t.equal(entryHash(view), 0x80000001);
    t.equal(Buffer.from(entryHead(view)).toString('latin1'), 'content-type: text/plain\r\nx-obs: a\xe9');
    t.equal(entryNameLength(view), 12);
    t.equal(entryEtag(view), 'W/"e1"');
    t.equal(entryLastModified(view), 'Mon, 01 Jan 2024 00:00:00 GMT');
    t.same([...entryPolicy(view)], [1, 2, 3]);
    t.equal(Buffer.from(entryBody(view)).toString(), 'the body');
    t.equal(entryBodyLength(view), body.length);
  }
  t.same(parseHead(entryHead(buf)), ['content-type', 'text/plain', 'x-obs', Buffer.from([0x61, 0xe9])], 'the lines parse back');
});

t.test('a Vary marker, and bytes that are not an entry', async (t) => {
  const empty = new Uint8Array(0);
  const marker = encodeEntry({
    kind: KIND_VARY, status: 0, flags: 0, storedAt: 1, freshUntil: 0, swrUntil: 0, sieUntil: 0, initialAge: 0, fingerprint: 1, hash: 2,
    head: empty, nameLength: 0, etag: '', lastModified: '', vary: 'accept,accept-language', policy: empty, body: empty,
  });
  t.ok(isEntry(marker, KIND_VARY));
  t.equal(entryVary(marker), 'accept,accept-language');
  t.notOk(isEntry(Buffer.from('not an entry at all, just some bytes of text that are long enough'), KIND_ANSWER));
  t.notOk(isEntry(Buffer.alloc(10), KIND_ANSWER), 'too short');
  const otherFormat = Buffer.from(marker);
  otherFormat[2] = 99;
  t.notOk(isEntry(otherFormat, KIND_VARY), 'another format version reads as absent');
});

t.test('a Server line is rendered first, so a hit knows the answer brings its own', async (t) => {
  const withServer = renderHead(['content-type', 'text/plain', 'server', 'upstream/1.0', 'etag', '"a"'], () => true);
  t.equal(withServer.block.toString('latin1'), 'server: upstream/1.0\r\ncontent-type: text/plain\r\netag: "a"');
  t.ok(storedHasServer(withServer.block, withServer.nameLength));
  const without = renderHead(['content-type', 'text/plain', 'served-by', 'x'], () => true);
  t.notOk(storedHasServer(without.block, without.nameLength));
  const sixLong = renderHead(['serves', 'x'], () => true);
  t.notOk(storedHasServer(sixLong.block, sixLong.nameLength), 'another six-letter name is not Server');
  const kept = renderHead(['server', 'u', 'access-control-allow-origin', '*'], (name) => !name.startsWith('access-control-'));
  t.same(parseHead(kept.block), ['server', 'u'], 'names the filter refuses are left out');
  t.notOk(storedHasServer(new Uint8Array(0), 0), 'no lines at all');
});
