import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { formatConfigError, loadConfigFile } from '../../dist/config/load.js';
import { errorsOf } from './fixtures/load.js';

t.test('formatConfigError writes FILE:LINE:COL path: message', async (t) => {
  const line = formatConfigError({ file: 'a.yaml', line: 3, col: 7, path: 'routes.0.match.path', message: 'bad' });
  t.equal(line, 'a.yaml:3:7 routes.0.match.path: bad');
});

t.test('every error in the file is reported in one pass, in file order', async (t) => {
  const yaml = [
    'listen:',
    '  port: 70000',
    'workers: 0',
    'log: { level: loud }',
    'upstreams:',
    '  users:',
    '    targets: [ftp://x]',
    'routes:',
    '  - id: a',
    '    match: { path: nope }',
    '    upstream: missing',
  ].join('\n');
  t.same(errorsOf(t, yaml), [
    'gw.yaml:2:9 listen.port: must be at most 65535',
    'gw.yaml:3:10 workers: must be at least 1',
    'gw.yaml:4:15 log.level: expected one of "fatal", "error", "warn", "info", "debug", "trace", "silent", got the string "loud"',
    'gw.yaml:7:15 upstreams.users.targets.0: target URL must start with http:// or https://',
    'gw.yaml:10:20 routes.0.match.path: invalid path "nope": must start with "/"',
    'gw.yaml:11:15 routes.0.upstream: upstream "missing" is not defined in "upstreams"',
  ]);
});

t.test('a missing key points at its parent map', async (t) => {
  const errors = errorsOf(t, 'upstreams:\n  users:\n    targets: [http://x]\n    healthCheck:\n      interval: 1s\n');
  t.same(errors, ['gw.yaml:5:7 upstreams.users.healthCheck.path: required key is missing']);
  t.same(errorsOf(t, 'upstreams:\n  users:\n    connections: 3\n'), ['gw.yaml:3:5 upstreams.users: an upstream needs "targets" or "discover"']);
});

t.test('a wrong type names what was expected and what was found', async (t) => {
  t.same(errorsOf(t, 'listen: [1, 2]\nlog: { access: "yes" }\n'), [
    'gw.yaml:1:10 listen.0: expected a mapping, got number 1',
    'gw.yaml:1:13 listen.1: expected a mapping, got number 2',
    'gw.yaml:2:16 log.access: expected a boolean, got the string "yes"',
  ]);
  t.same(errorsOf(t, 'admin: { token: 12345 }\n'), ['gw.yaml:1:17 admin.token: expected a string, got number 12345 (quote it to keep it a string)']);
});

t.test('YAML syntax errors are reported with their position and stop there', async (t) => {
  const errors = errorsOf(t, 'listen:\n  port: 1\n   host: x\nworkers: [1\n');
  t.ok(errors.length >= 1);
  for (const error of errors) t.match(error, /^gw\.yaml:\d+:\d+ \(root\): YAML syntax error: /);
  t.match(errors[0], /^gw\.yaml:2:9 \(root\): YAML syntax error: Nested mappings are not allowed/);
});

t.test('duplicate keys are a syntax error', async (t) => {
  const errors = errorsOf(t, 'workers: 1\nworkers: 2\n');
  t.equal(errors.length, 1);
  t.match(errors[0], /^gw\.yaml:2:1 \(root\): YAML syntax error: Map keys must be unique/);
});

t.test('a file that is not a mapping is one error at the root', async (t) => {
  t.same(errorsOf(t, '- a\n- b\n'), ['gw.yaml:1:1 (root): expected a mapping, got a list']);
  t.same(errorsOf(t, 'just text\n'), ['gw.yaml:1:1 (root): expected a mapping, got the string "just text"']);
});

t.test('an empty file is refused as empty, while {} is a config of defaults', async (t) => {
  for (const text of ['', '\n\n', '# nothing here\n  # nor here\n']) {
    const result = loadConfigFile(writeTemp(text), {});
    t.equal(result.ok, false, `${JSON.stringify(text)} is refused`);
    if (!result.ok) {
      t.same(result.errors.map((e) => `${e.line}:${e.col} ${e.path}: ${e.message}`), [
        '1:1 (root): the file is empty (nothing but comments or blank lines): a config is a mapping of settings such as listen, upstreams and routes',
      ]);
    }
  }
  t.same(errorsOf(t, 'null\n'), ['gw.yaml:1:1 (root): expected a mapping, got null'], 'an explicit null is not called empty');
  const empty = loadConfigFile(writeTemp('{}\n'), {});
  t.equal(empty.ok, true, '{} is a valid config');
});

t.test('an unreadable file is one error naming the reason', async (t) => {
  const result = loadConfigFile('/nonexistent/tollgate.yaml', {});
  t.equal(result.ok, false);
  if (!result.ok) t.same(result.errors.map(formatConfigError), ['/nonexistent/tollgate.yaml:1:1 (root): cannot read config file /nonexistent/tollgate.yaml (ENOENT: no such file)']);
});

t.test('loadConfigFile reads the file and reports its name', async (t) => {
  const file = writeTemp('workers: none\n');
  const result = loadConfigFile(file, {});
  t.equal(result.ok, false);
  if (!result.ok) t.same(result.errors.map(formatConfigError), [`${file}:1:10 workers: expected "auto" or a whole number of worker threads (1..256)`]);
});

function writeTemp(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'tollgate-config-')), 'gateway.yaml');
  writeFileSync(file, text);
  return file;
}
