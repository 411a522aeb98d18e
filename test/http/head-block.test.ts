// An answer's head gathered for one writeStatus() call (src/http/head-block.ts): the bytes are
// exactly what uWS would have written for writeStatus + one writeHeader per line (JavaScript
// strings as UTF-8, Buffers as they are), whatever the head's size.
import t from 'tap';
import { headBytes, putHeader, putLines, startHead } from '../../dist/http/head-block.js';

const bytes = (): Buffer => Buffer.from(headBytes());

t.test('status text, header lines, stored lines, in order', async (t) => {
  startHead(200);
  putLines(Buffer.from('content-type: application/json\r\netag: "a"'));
  putHeader('age', '3');
  putHeader('x-request-id', 'abc');
  t.equal(bytes().toString('latin1'), '200 OK\r\ncontent-type: application/json\r\netag: "a"\r\nage: 3\r\nx-request-id: abc');
  startHead(404);
  putLines(new Uint8Array(0));
  putHeader('x-a', '');
  t.equal(bytes().toString('latin1'), '404 Not Found\r\nx-a: ', 'no stored lines: nothing for them; an empty value');
});

t.test('a string value is written as UTF-8, a Buffer value byte for byte', async (t) => {
  startHead(200);
  putHeader('x-utf8', 'caf\u00e9 \u2713');
  putHeader('x-raw', Buffer.from([0x61, 0xe9, 0xff]));
  const expected = Buffer.concat([
    Buffer.from('200 OK\r\nx-utf8: '), Buffer.from('caf\u00e9 \u2713', 'utf8'), Buffer.from('\r\nx-raw: '), Buffer.from([0x61, 0xe9, 0xff]),
  ]);
  t.same(bytes(), expected);
});

t.test('a head larger than the scratch buffer grows it and keeps every byte', async (t) => {
  startHead(200);
  const value = 'v'.repeat(10_000);
  for (let i = 0; i < 5; i++) putHeader(`x-${i}`, value);
  putLines(Buffer.alloc(20_000, 0x41));
  const text = bytes().toString('latin1');
  t.equal(text.length, '200 OK'.length + 5 * (2 + 3 + 2 + 10_000) + 2 + 20_000);
  t.ok(text.startsWith('200 OK\r\nx-0: vvv'));
  t.ok(text.endsWith('\r\nx-4: ' + value + '\r\n' + 'A'.repeat(20_000)));
  startHead(204);
  t.equal(bytes().toString('latin1'), '204 No Content', 'and starts over');
});
