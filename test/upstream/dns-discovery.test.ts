// DNS lookups of upstream targets against a real DNS server on loopback (test/helpers/dns-server.ts).
import t from 'tap';
import { Resolver } from 'node:dns/promises';
import { DnsDiscovery, lookupTargets, type DiscoverConfig, type DiscoveredTarget } from '../../dist/upstream/dns-discovery.js';
import { startDnsServer } from '../helpers/dns-server.js';

const quiet = { info() {}, warn() {}, error() {}, debug() {} };

function resolverFor(address: string): Resolver {
  const r = new Resolver({ timeout: 500, tries: 1 });
  r.setServers([address]);
  return r;
}

const spec = (over: Partial<DiscoverConfig>): DiscoverConfig => ({ dns: 'svc.test', port: 8080, scheme: 'http', interval: 100, resolver: null, ...over });

t.test('A and AAAA records give one target each on the configured port, sorted', async (t) => {
  const dns = await startDnsServer({ 'svc.test': { A: ['127.0.0.3', '127.0.0.2'], AAAA: ['::1'] } });
  t.teardown(() => dns.close());
  const found = await lookupTargets(spec({}), resolverFor(dns.address));
  t.same(found, [
    { url: 'http://127.0.0.2:8080', weight: 1 },
    { url: 'http://127.0.0.3:8080', weight: 1 },
    { url: 'http://[::1]:8080', weight: 1 },
  ]);
  t.ok(dns.queries.includes('svc.test A') && dns.queries.includes('svc.test AAAA'), 'both record types were asked');
  t.same(await lookupTargets(spec({ scheme: 'https', port: 443 }), resolverFor(dns.address)).then((f) => f.map((x) => x.url)),
    ['https://127.0.0.2', 'https://127.0.0.3', 'https://[::1]'], 'the default port of the scheme is left out of the origin');
});

t.test('SRV records: the lowest priority, their ports and weights, their targets resolved', async (t) => {
  const dns = await startDnsServer({
    '_http._tcp.orders.test': {
      SRV: [
        { priority: 10, weight: 5, port: 9001, target: 'a.orders.test' },
        { priority: 10, weight: 0, port: 9002, target: 'b.orders.test' },
        { priority: 20, weight: 1, port: 9003, target: 'c.orders.test' },
      ],
    },
    'a.orders.test': { A: ['127.0.0.2'] },
    'b.orders.test': { A: ['127.0.0.3'] },
    'c.orders.test': { A: ['127.0.0.4'] },
  });
  t.teardown(() => dns.close());
  const found = await lookupTargets(spec({ dns: '_http._tcp.orders.test', port: null }), resolverFor(dns.address));
  t.same(found, [
    { url: 'http://127.0.0.2:9001', weight: 5 },
    { url: 'http://127.0.0.3:9002', weight: 1 },
  ], 'priority 20 is a fallback, left out; weight 0 counts as 1');
});

t.test('a failing server, a missing name and an empty answer all fail the lookup', async (t) => {
  const dns = await startDnsServer({ 'empty.test': {} });
  t.teardown(() => dns.close());
  const r = resolverFor(dns.address);
  await t.rejects(lookupTargets(spec({ dns: 'nope.test' }), r), { code: 'ENOTFOUND' });
  await t.rejects(lookupTargets(spec({ dns: 'empty.test' }), r), { code: 'ENODATA' });
  dns.mode = 'servfail';
  await t.rejects(lookupTargets(spec({}), r), { code: 'ESERVFAIL' });
});

t.test('DnsDiscovery keeps the last good set through failures and reports changes only', async (t) => {
  const dns = await startDnsServer({ 'svc.test': { A: ['127.0.0.2'] } });
  t.teardown(() => dns.close());
  const changes: DiscoveredTarget[][] = [];
  const warnings: object[] = [];
  const log = { ...quiet, warn: (obj: object) => warnings.push(obj) };
  const d = new DnsDiscovery('svc', spec({ resolver: dns.address, interval: 100 }), log, (found) => changes.push(found));
  t.teardown(() => d.stop());
  await d.first();
  t.same(d.current.map((x) => x.url), ['http://127.0.0.2:8080']);
  d.start();
  await new Promise((r) => setTimeout(r, 350));
  t.same(changes, [], 'an unchanged answer is no change');
  dns.mode = 'servfail';
  const failuresBefore = d.stats.failures;
  await waitFor(() => d.stats.failures >= failuresBefore + 2);
  t.same(d.current.map((x) => x.url), ['http://127.0.0.2:8080'], 'a failed lookup keeps the last good set');
  t.equal(d.stats.lastError, 'ESERVFAIL');
  t.match(warnings[0], { upstream: 'svc', dns: 'svc.test', reason: 'ESERVFAIL', kept: 1 });
  dns.mode = 'answer';
  dns.records.set('svc.test', { A: ['127.0.0.2', '127.0.0.3'] });
  await waitFor(() => changes.length === 1);
  t.same(changes[0]!.map((x) => x.url), ['http://127.0.0.2:8080', 'http://127.0.0.3:8080']);
  t.equal(d.stats.lastError, null);
  dns.records.set('svc.test', {});
  const failures = d.stats.failures;
  await waitFor(() => d.stats.failures > failures);
  t.equal(changes.length, 1, 'an empty answer is a failure, not an empty set');
  t.equal(d.current.length, 2);
});

async function waitFor(cond: () => boolean, timeoutMs = 5_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
