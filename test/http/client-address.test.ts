// The client address behind trusted proxies (what limits by ip key on).
import t from 'tap';
import { clientAddress } from '../../dist/http/client-address.js';
import { createAddressMatcher } from '../../dist/http/cidr.js';

const trusted = createAddressMatcher(['10.0.0.0/8', '2001:db8::/32']);
const xff = (...values: string[]): string[] => values.flatMap((v) => ['x-forwarded-for', v]);

t.test('a peer that is not trusted is the client, whatever it forwards', async (t) => {
  t.equal(clientAddress('198.51.100.7', xff('203.0.113.1'), trusted), '198.51.100.7');
  t.equal(clientAddress('198.51.100.7', [], createAddressMatcher([])), '198.51.100.7');
});

t.test('from a trusted peer: the rightmost entry that is not trusted', async (t) => {
  t.equal(clientAddress('10.0.0.1', xff('203.0.113.1'), trusted), '203.0.113.1');
  t.equal(clientAddress('10.0.0.1', xff('192.0.2.9, 203.0.113.1, 10.1.1.1'), trusted), '203.0.113.1', 'trusted hops skipped, client-written entries ignored');
  t.equal(clientAddress('10.0.0.1', xff('192.0.2.9', '203.0.113.1'), trusted), '203.0.113.1', 'several header lines are one list, in order');
  t.equal(clientAddress('10.0.0.1', xff('10.2.2.2, 10.3.3.3'), trusted), '10.2.2.2', 'every entry trusted: the leftmost');
  t.equal(clientAddress('10.0.0.1', [], trusted), '10.0.0.1', 'no header: the peer');
});

t.test('entries are read as addresses: ports, brackets and IPv4-mapped forms; anything else stops the walk', async (t) => {
  t.equal(clientAddress('10.0.0.1', xff('203.0.113.1:4711'), trusted), '203.0.113.1');
  t.equal(clientAddress('10.0.0.1', xff('[2001:DB9::1]:443'), trusted), '2001:db9::1');
  t.equal(clientAddress('10.0.0.1', xff('2001:db9::2'), trusted), '2001:db9::2');
  t.equal(clientAddress('10.0.0.1', xff('::ffff:203.0.113.5'), trusted), '203.0.113.5');
  t.equal(clientAddress('10.0.0.1', xff('203.0.113.1, unknown, 10.4.4.4'), trusted), '10.4.4.4', 'the trusted hop that passed on the bad entry');
  t.equal(clientAddress('10.0.0.1', xff('garbage'), trusted), '10.0.0.1');
  t.equal(clientAddress('10.0.0.1', xff(''), trusted), '10.0.0.1');
});
