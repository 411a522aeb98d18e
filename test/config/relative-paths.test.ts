// Relative paths in a config resolve against the config file's directory, never the working
// directory (under systemd the two differ), and a file error names the full path tried.
import { mkdirSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import t from 'tap';
import { formatConfigError, loadConfigFile, loadConfigText } from '../../dist/config/load.js';
import { makeCertificate } from '../helpers/certificates.js';

/** /tmp/X/etc/gateway.yaml with etc/certs/cert.pem, and shared/key.pem beside etc/. */
function layout(yaml: string): { root: string; file: string } {
  const root = mkdtempSync(join(tmpdir(), 'tollgate-relative-'));
  mkdirSync(join(root, 'etc', 'certs'), { recursive: true });
  mkdirSync(join(root, 'shared'));
  const made = makeCertificate(join(root, 'etc', 'certs'), 'cert');
  renameSync(made.cert, join(root, 'etc', 'certs', 'cert.pem'));
  renameSync(made.key, join(root, 'shared', 'key.pem'));
  const file = join(root, 'etc', 'gateway.yaml');
  writeFileSync(file, yaml);
  return { root, file };
}

t.test('certFile, keyFile and dataDir are taken from the config file directory, not the working directory', async (t) => {
  const { root, file } = layout('listen: { tls: { certFile: certs/cert.pem, keyFile: ../shared/key.pem } }\ndataDir: state\n');
  t.not(process.cwd(), join(root, 'etc'), 'the test runs elsewhere');
  const result = loadConfigFile(file, {});
  t.equal(result.ok, true, result.ok ? '' : result.errors.map(formatConfigError).join('\n'));
  if (!result.ok) return;
  const tls = result.config.listen[0]?.tls?.[0];
  t.same([tls?.certFile, tls?.keyFile], [join(root, 'etc', 'certs', 'cert.pem'), join(root, 'shared', 'key.pem')]);
  t.equal(result.config.dataDir, join(root, 'etc', 'state'));
});

t.test('the default dataDir is ./data beside the config file; absolute paths stay as written', async (t) => {
  const { root, file } = layout('');
  writeFileSync(file, `listen: { tls: { certFile: "${join(root, 'etc', 'certs', 'cert.pem')}", keyFile: ../shared/key.pem } }\n`);
  const result = loadConfigFile(file, {});
  t.equal(result.ok, true);
  if (!result.ok) return;
  t.equal(result.config.dataDir, join(root, 'etc', 'data'));
  t.equal(result.config.listen[0]?.tls?.[0]?.certFile, join(root, 'etc', 'certs', 'cert.pem'));
});

t.test('a missing relative file is reported as written and with the full path tried', async (t) => {
  const { root, file } = layout('listen: { tls: { certFile: certs/missing.pem, keyFile: certs } }\n');
  const result = loadConfigFile(file, {});
  t.equal(result.ok, false);
  if (result.ok) return;
  t.same(result.errors.map(formatConfigError), [
    `${file}:1:28 listen.tls.certFile: certFile "certs/missing.pem" (${join(root, 'etc', 'certs', 'missing.pem')}) does not exist`,
    `${file}:1:56 listen.tls.keyFile: keyFile "certs" (${join(root, 'etc', 'certs')}) is not a regular file`,
  ]);
});

t.test('a config file that cannot be read is named by its full path', async (t) => {
  const result = loadConfigFile('no-such-dir/gateway.yaml', {});
  t.equal(result.ok, false);
  if (!result.ok) t.same(result.errors.map(formatConfigError), [`no-such-dir/gateway.yaml:1:1 (root): cannot read config file ${resolve('no-such-dir/gateway.yaml')} (ENOENT: no such file)`]);
});

t.test('text loaded under a relative file name resolves against that name, i.e. the working directory', async (t) => {
  const result = loadConfigText('dataDir: var/tollgate\n', 'gw.yaml', {});
  t.equal(result.ok && result.config.dataDir, resolve('var/tollgate'));
});
