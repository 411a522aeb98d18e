// Fails when docs/config.md is stale: regenerate with `npm run build && npm run docs`.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { configDocsText } from '../../dist/config/write-docs.js';
import { configJsonSchema } from '../../dist/config/write-schema.js';

const DOCS_FILE = fileURLToPath(new URL('../../docs/config.md', import.meta.url));

t.test('the checked-in config reference matches the one generated from the schema', async (t) => {
  t.equal(readFileSync(DOCS_FILE, 'utf8'), configDocsText(), 'run `npm run build && npm run docs` to regenerate docs/config.md');
});

t.test('every supported key of the schema has a row, with its default; refused keys are listed apart', async (t) => {
  const docs = configDocsText();
  const schema = configJsonSchema() as { properties: Record<string, { deprecated?: boolean }> };
  for (const [key, node] of Object.entries(schema.properties)) {
    if (node.deprecated) t.match(docs, new RegExp(`## Not supported yet\\n\\n.*\`${key}\``), `${key} is listed as not supported yet`);
    else if (key !== 'upstreams' && key !== 'routes') t.match(docs, `| \`${key}\` |`, `${key} has a row`);
  }
  t.match(docs, '| `listen.port` | whole number 0..65535 | `8080` |');
  t.match(docs, '| `shutdownTimeout` | duration | `30s` |');
  t.match(docs, '| `limits.maxBodySize` | size | `1mb` |');
  t.match(docs, '| `targets[].weight` | whole number 1..1000 | `1` |');
  t.match(docs, '| `match.path` | string | required |');
  t.match(docs, '| `upstreamMs` | yes |');
  t.match(docs, '| `forwardedFor` | no |');
});
