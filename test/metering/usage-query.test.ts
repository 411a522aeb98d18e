import t from 'tap';
import { parseUsageQuery, usageCsv, wantsCsv } from '../../src/metering/usage-query.js';

t.test('Accept chooses CSV only when text/csv is preferred', async (t) => {
  t.equal(wantsCsv(undefined), false);
  t.equal(wantsCsv('text/csv'), true);
  t.equal(wantsCsv('TEXT/CSV; charset=utf-8'), true);
  t.equal(wantsCsv('application/json, text/csv'), false, 'a tie goes to JSON');
  t.equal(wantsCsv('application/json;q=0.5, text/csv'), true);
  t.equal(wantsCsv('text/csv;q=0, */*'), false);
  t.equal(wantsCsv('*/*'), false);
});

t.test('CSV fields with commas, quotes or line breaks are quoted (RFC 4180)', async (t) => {
  const csv = usageCsv([{ consumer: 'a,"b"', route: 'r', day: '2026-11-30', statusClass: '2xx', requests: 1, bytesIn: 2, bytesOut: 3 }]);
  t.equal(csv, 'consumer,route,day,status_class,requests,bytes_in,bytes_out\r\n"a,""b""",r,2026-11-30,2xx,1,2,3\r\n');
  t.equal(usageCsv([]), 'consumer,route,day,status_class,requests,bytes_in,bytes_out\r\n', 'no rows: the header row alone');
});

t.test('the query: inclusive UTC dates, optional route', async (t) => {
  t.same(parseUsageQuery(new URLSearchParams('consumer=acme&from=2026-11-01&to=2026-11-01')),
    { ok: true, query: { consumer: 'acme', from: '2026-11-01', to: '2026-11-01', route: null } });
  t.same(parseUsageQuery(new URLSearchParams('consumer=acme&from=2024-02-29&to=2024-03-01&route=users')),
    { ok: true, query: { consumer: 'acme', from: '2024-02-29', to: '2024-03-01', route: 'users' } }, 'a leap day');
  t.match(parseUsageQuery(new URLSearchParams('consumer=acme&from=2025-02-29&to=2025-03-01')), { ok: false, parameter: 'from' }, 'no leap day in 2025');
});
