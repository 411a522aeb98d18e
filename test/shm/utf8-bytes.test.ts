import t from 'tap';
import { FNV_OFFSET, fnvStep, hashUtf8, utf8RangeEquals } from '../../dist/shm/utf8-bytes.js';

const SAMPLES = ['', 'users', 'café', '日本語', 'a\u{1F600}b', 'lone\ud800', 'lone\udc00x', '\u07ff\u0800\uffff'];

function fnv(bytes: Uint8Array): number {
  let h = FNV_OFFSET;
  for (const b of bytes) h = fnvStep(h, b);
  return h;
}

t.test('the hash agrees with FNV-1a over the bytes TextEncoder writes, for every kind of character', async (t) => {
  const encoder = new TextEncoder();
  for (const s of SAMPLES) {
    const bytes = encoder.encode(s);
    t.equal(hashUtf8(s, 0, s.length), fnv(bytes), `hash ${JSON.stringify(s)}`);
  }
  t.not(hashUtf8('ab', 0, 2), hashUtf8('ba', 0, 2), 'order matters');
});

t.test('a string range is compared against stored UTF-8 bytes in place', async (t) => {
  const encoder = new TextEncoder();
  const stored = encoder.encode('xx日本\u{1F600}yy');
  const region = new Uint8Array(new SharedArrayBuffer(stored.length));
  region.set(stored);
  const probe = '/日本\u{1F600}/';
  // bytes 2..12 hold '日本😀' (3 + 3 + 4 bytes); the probe holds it at chars 1..5
  t.ok(utf8RangeEquals(region, 2, 10, probe, 1, 5));
  t.notOk(utf8RangeEquals(region, 2, 9, probe, 1, 5), 'a shorter stored string differs');
  t.notOk(utf8RangeEquals(region, 2, 10, probe, 1, 4), 'a shorter probe differs');
  t.notOk(utf8RangeEquals(region, 2, 10, '/日本\u{1F601}/', 1, 5), 'one byte off differs');
  t.equal(hashUtf8(probe, 1, 5), fnv(stored.subarray(2, 12)));
});
