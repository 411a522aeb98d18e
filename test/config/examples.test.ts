import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { loadConfigFile, formatConfigError } from '../../dist/config/load.js';

const EXAMPLES = fileURLToPath(new URL('../../config/examples/', import.meta.url));
const files = readdirSync(EXAMPLES).filter((name) => name.endsWith('.yaml'));

t.test('the sample configs load and point editors at the schema', async (t) => {
  t.ok(files.length >= 2, 'there are sample configs');
  for (const name of files) {
    const file = EXAMPLES + name;
    const result = loadConfigFile(file, {});
    t.equal(result.ok, true, `${name}: ${result.ok ? 'ok' : result.errors.map(formatConfigError).join('; ')}`);
    t.equal(readFileSync(file, 'utf8').split('\n')[0], '# yaml-language-server: $schema=../tollgate.schema.json', `${name} names the schema`);
  }
});
