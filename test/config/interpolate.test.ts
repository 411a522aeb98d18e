import t from 'tap';
import { configOf, errorAt, errorsOf, UPSTREAM } from './fixtures/load.js';

t.test('set variables and defaults are substituted before validation', async (t) => {
  const yaml = 'listen: { host: "${HOST}", port: ${PORT} }\ndataDir: ${DIR:-/var/tollgate}\nadmin: { token: ${TOKEN:-} }\n';
  const config = configOf(t, yaml, { HOST: '127.0.0.1', PORT: '8443' });
  t.equal(config.listen[0]?.host, '127.0.0.1');
  t.equal(config.listen[0]?.port, 8443, 'an unquoted value is read as YAML would read it: a number');
  t.equal(config.dataDir, '/var/tollgate');
  t.equal(config.admin.token, '', 'an empty default works, even inside a flow map');
});

t.test(':- also replaces a set but empty variable; a plain ${X} keeps it empty', async (t) => {
  const config = configOf(t, 'dataDir: ${DIR:-/d}\nadmin: { token: "${T}" }\n', { DIR: '', T: '' });
  t.equal(config.dataDir, '/d');
  t.equal(config.admin.token, '');
});

t.test('a quoted value stays a string; parts of a value interpolate', async (t) => {
  const yaml = `${UPSTREAM.replace('http://127.0.0.1:9001', 'http://${UP_HOST}:${UP_PORT}')}admin: { token: "\${TOKEN}" }\n`;
  const config = configOf(t, yaml, { UP_HOST: '10.1.2.3', UP_PORT: '9005', TOKEN: '12345' });
  t.equal(config.upstreams['users']?.targets[0]?.url, 'http://10.1.2.3:9005');
  t.equal(config.admin.token, '12345');
});

t.test('a value cannot change the YAML structure', async (t) => {
  const config = configOf(t, 'admin: { token: ${TOKEN} }\n', { TOKEN: 'a # b: [c, d]' });
  t.equal(config.admin.token, 'a # b: [c, d]');
});

t.test('an unset variable without default is an error at its exact position', async (t) => {
  const errors = errorsOf(t, 'dataDir: ./data\nlisten: { port: 8080, host: ${BIND_HOST} }\n');
  t.same(errors, ['gw.yaml:2:29 listen.host: environment variable BIND_HOST is not set (use ${BIND_HOST:-default} to give a default)']);
});

t.test('every unset variable is reported, and no second error for the same key', async (t) => {
  const errors = errorsOf(t, 'listen:\n  port: ${PORT}\n  host: x-${A}-${B}\n');
  t.equal(errors.length, 3, errors.join('\n'));
  t.equal(errors[0], 'gw.yaml:2:9 listen.port: environment variable PORT is not set (use ${PORT:-default} to give a default)');
  t.match(errors[1], /^gw\.yaml:3:11 listen\.host: environment variable A is not set/);
  t.match(errors[2], /^gw\.yaml:3:16 listen\.host: environment variable B is not set/);
});

t.test('$${ is a literal ${', async (t) => {
  const yaml = 'admin: { host: 127.0.0.1, token: "$${NOT_A_VAR}" }\ndataDir: "/a/$${b"\n';
  const config = configOf(t, yaml);
  t.equal(config.admin.token, '${NOT_A_VAR}');
  t.equal(config.dataDir, '/a/${b');
});

t.test('a malformed expression is an error; one in a comment is ignored', async (t) => {
  const errors = errorsOf(t, '# uses ${UNSET} and ${bad expr}\ndataDir: "${not valid}"\n');
  t.equal(errors.length, 1);
  t.match(errorAt(t, errors, 'dataDir'), /^gw\.yaml:2:11 dataDir: invalid interpolation "\$\{not valid\}"/);
});

t.test('an expression in a key is not interpolated', async (t) => {
  const errors = errorsOf(t, 'listen: { ${KEY}: 1 }\n', { KEY: 'port' });
  t.same(errors, ['gw.yaml:1:11 listen.${KEY}: unknown key "${KEY}"']);
});
