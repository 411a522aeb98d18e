import t from 'tap';
import { MAX_DURATION_MS, parseDuration, parseSize } from '../../dist/config/units.js';

t.test('durations in every unit become milliseconds', async (t) => {
  const cases: [unknown, number][] = [
    ['250ms', 250], ['30s', 30_000], ['5m', 300_000], ['1h', 3_600_000], ['1d', 86_400_000],
    ['1.5s', 1500], [0, 0], [1234, 1234],
  ];
  for (const [input, ms] of cases) t.same(parseDuration(input), { ok: true, value: ms }, String(input));
});

t.test('bad durations are refused with a message naming the value and the forms', async (t) => {
  for (const input of ['5x', '30', '-1s', 's', '1 s', '', -5, 1.5, true, null]) {
    const result = parseDuration(input);
    t.equal(result.ok, false, `${JSON.stringify(input)} refused`);
    if (!result.ok) t.match(result.message, /invalid duration .*250ms, 30s, 5m, 1h, 1d/);
  }
});

t.test('durations that would overflow a timer are refused', async (t) => {
  t.same(parseDuration(MAX_DURATION_MS), { ok: true, value: MAX_DURATION_MS });
  const result = parseDuration('25d');
  t.equal(result.ok, false);
  if (!result.ok) t.match(result.message, /too long/);
});

t.test('sizes use 1024 multiples and any case', async (t) => {
  const cases: [unknown, number][] = [
    ['512b', 512], ['64kb', 65_536], ['1mb', 1_048_576], ['1gb', 1_073_741_824], ['16KB', 16_384], ['1.5kb', 1536], [100, 100],
  ];
  for (const [input, bytes] of cases) t.same(parseSize(input), { ok: true, value: bytes }, String(input));
});

t.test('bad sizes are refused with a clear message', async (t) => {
  for (const input of ['1tb', '10', 'kb', '-1kb', 2.5, '1 mb']) {
    const result = parseSize(input);
    t.equal(result.ok, false, `${JSON.stringify(input)} refused`);
    if (!result.ok) t.match(result.message, /invalid size .*512b, 64kb, 1mb, 1gb/);
  }
});
