import t from 'tap';
import { configOf, errorsOf } from './fixtures/load.js';

t.test('log.accessFields: any known fields, in the order given', async (t) => {
  const config = configOf(t, 'log: { accessFields: [status, remoteAddress, rawPath, referer, forwardedFor] }\n');
  t.same(config.log.accessFields, ['status', 'remoteAddress', 'rawPath', 'referer', 'forwardedFor']);
});

t.test('log.accessFields: an unknown field names the known ones; a repeat or an empty list is refused', async (t) => {
  const [unknown] = errorsOf(t, 'log: { accessFields: [status, latency] }\n');
  t.match(unknown, /^gw\.yaml:1:31 log\.accessFields\.1: expected one of "time", "route", .*"traceparent", "forwardedFor", "referer", "consumer", got the string "latency"$/);
  t.same(errorsOf(t, 'log: { accessFields: [status, path, status] }\n'), ['gw.yaml:1:37 log.accessFields.2: "status" is listed twice']);
  t.same(errorsOf(t, 'log: { accessFields: [] }\n'), ['gw.yaml:1:22 log.accessFields: list at least one field (log.access: false turns access lines off)']);
});
