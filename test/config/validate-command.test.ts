import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { runValidate } from '../../dist/config/validate-command.js';

function sink(): { write(text: string): boolean; text: () => string } {
  let text = '';
  return {
    write(chunk: string) {
      text += chunk;
      return true;
    },
    text: () => text,
  };
}

function configFile(yaml: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'tollgate-validate-')), 'gateway.yaml');
  writeFileSync(file, yaml);
  return file;
}

t.test('a valid file prints a summary to stdout and returns 0', async (t) => {
  const file = configFile('upstreams:\n  a: { targets: [http://x] }\n  b: { targets: [http://y] }\nroutes:\n  - { id: r, match: { path: /r }, upstream: a }\n');
  const out = sink();
  const err = sink();
  t.equal(runValidate(file, out, err), 0);
  t.equal(out.text(), `${file}: ok (1 route, 2 upstreams)\n`);
  t.equal(err.text(), '');
});

t.test('an invalid file prints every error, one per line, to stderr and returns 1', async (t) => {
  const file = configFile('workers: 0\nlisten: { port: x }\nbogus: 1\n');
  const out = sink();
  const err = sink();
  t.equal(runValidate(file, out, err), 1);
  t.equal(out.text(), '');
  t.same(err.text().split('\n'), [
    `${file}:1:10 workers: must be at least 1`,
    `${file}:2:17 listen.port: expected a number, got the string "x"`,
    `${file}:3:1 bogus: unknown key "bogus"`,
    '',
  ]);
});

t.test('a missing file is an error, not an exception', async (t) => {
  const err = sink();
  t.equal(runValidate('/nonexistent/gw.yaml', sink(), err), 1);
  t.equal(err.text(), '/nonexistent/gw.yaml:1:1 (root): cannot read config file /nonexistent/gw.yaml (ENOENT: no such file)\n');
});
