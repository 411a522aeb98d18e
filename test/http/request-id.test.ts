// Request ids and traceparents the gateway makes itself: the formats clients and tracers expect,
// never repeated, and a client's well-formed id kept.
import t from 'tap';
import {
  acceptRequestId, isValidTraceparent, newRequestId, newRequestIdWords, newTraceparent, REQUEST_ID_LENGTH, requestIdText, writeRequestId,
} from '../../dist/http/request-id.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

t.test('a new request id is a random version 4 UUID, as crypto.randomUUID writes one', async (t) => {
  const seen = new Set<string>();
  let malformed = 0;
  // More than the 4 KiB random pool holds, so that it is refilled several times.
  for (let i = 0; i < 5_000; i++) {
    const id = newRequestId();
    if (!UUID_V4.test(id)) malformed++;
    seen.add(id);
  }
  t.equal(malformed, 0);
  t.equal(seen.size, 5_000, 'no id repeats');
});

t.test('a new traceparent is valid W3C trace context, sampled, and never repeats', async (t) => {
  const seen = new Set<string>();
  let invalid = 0;
  for (let i = 0; i < 5_000; i++) {
    const tp = newTraceparent();
    if (!isValidTraceparent(tp) || !tp.startsWith('00-') || !tp.endsWith('-01')) invalid++;
    seen.add(tp.slice(3, 35));
  }
  t.equal(invalid, 0);
  t.equal(seen.size, 5_000, 'no trace id repeats');
});

t.test('a client\'s well-formed id is kept; anything else is replaced by a new one', async (t) => {
  t.equal(acceptRequestId('abc-123'), 'abc-123');
  t.match(acceptRequestId(''), UUID_V4);
  t.match(acceptRequestId('bad id\r\nx: y'), UUID_V4);
  t.match(acceptRequestId('x'.repeat(129)), UUID_V4);
});

t.test('a generated id written from its words is the text it reads as, and keeps its UUID bits', async (t) => {
  const words = { idA: 0, idB: 0, idC: 0, idD: 0 };
  const out = Buffer.alloc(40, 0x2e);
  for (let i = 0; i < 2_000; i++) {
    newRequestIdWords(words);
    const text = requestIdText(words);
    const end = writeRequestId(out, 2, words);
    if (end !== 2 + REQUEST_ID_LENGTH || out.toString('latin1', 2, end) !== text || !UUID_V4.test(text) || out[1] !== 0x2e || out[38] !== 0x2e) {
      t.fail(`id ${i}: ${text} written as ${out.toString('latin1')}`);
      return;
    }
  }
  // Every bit pattern a word can hold comes out as its hex digits, sign bit included.
  t.equal(requestIdText({ idA: -1, idB: 0x00004abc, idC: 0x80000000 | 0, idD: 0x0123abcd }), 'ffffffff-0000-4abc-8000-00000123abcd');
  t.pass('2,000 ids written the same both ways');
});
