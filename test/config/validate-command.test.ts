import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { runValidate } from '../../dist/config/validate-command.js';
import { UWS_BUILDS } from '../../dist/http/uws-builds.js';
import { uwsBuild } from '../helpers/uws-build.js';

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
  t.equal(await runValidate(file, out, err), 0);
  t.equal(out.text(), `${file}: ok (1 route, 2 upstreams)\n`);
  t.equal(err.text(), '');
});

t.test('an invalid file prints every error, one per line, to stderr and returns 1', async (t) => {
  const file = configFile('workers: 0\nlisten: { port: x }\nbogus: 1\n');
  const out = sink();
  const err = sink();
  t.equal(await runValidate(file, out, err), 1);
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
  t.equal(await runValidate('/nonexistent/gw.yaml', sink(), err), 1);
  t.equal(err.text(), '/nonexistent/gw.yaml:1:1 (root): cannot read config file /nonexistent/gw.yaml (ENOENT: no such file)\n');
});

t.test('limits that depend on the uWS build are checked against the build start would load', async (t) => {
  const file = configFile('limits: { maxConnections: 100 }\n');
  const legacyErr = sink();
  t.equal(await runValidate(file, sink(), legacyErr, UWS_BUILDS.legacy), 1, 'refused for the legacy build');
  t.match(legacyErr.text(), `${file}:1:27 limits.maxConnections: the legacy uWebSockets.js build (20.30) does not tell the gateway`);
  t.equal(await runValidate(file, sink(), sink(), UWS_BUILDS.current), 0, 'accepted for the current build');
  t.equal(await runValidate(file, sink(), sink()), uwsBuild.quirks.connectionFilter ? 0 : 1, `by default: the ${uwsBuild.name} build this process loads`);

  const saved = process.env.TOLLGATE_UWS;
  process.env.TOLLGATE_UWS = 'newest';
  t.teardown(() => {
    if (saved === undefined) delete process.env.TOLLGATE_UWS;
    else process.env.TOLLGATE_UWS = saved;
  });
  const err = sink();
  const out = sink();
  t.equal(await runValidate(file, out, err), 0, 'with no build to load, what holds on every build passes');
  t.equal(out.text(), `${file}: ok (0 routes, 0 upstreams)\n`);
  t.equal(err.text(), 'note: TOLLGATE_UWS must be current or legacy, got "newest"; limits.headersTimeout, limits.idleTimeout and limits.maxConnections were not checked against a build\n');
});
