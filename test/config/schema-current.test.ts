// Fails when config/tollgate.schema.json is stale: regenerate with `node dist/config/write-schema.js`.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { configJsonSchema, configJsonSchemaText } from '../../dist/config/write-schema.js';

const SCHEMA_FILE = fileURLToPath(new URL('../../config/tollgate.schema.json', import.meta.url));

t.test('the checked-in JSON Schema matches the one generated from the source', async (t) => {
  const checkedIn: unknown = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8'));
  t.strictSame(checkedIn, configJsonSchema(), 'run `node dist/config/write-schema.js` to regenerate');
  t.equal(readFileSync(SCHEMA_FILE, 'utf8'), configJsonSchemaText(), 'and keep its formatting');
});

t.test('the schema describes the input format and refuses unknown keys', async (t) => {
  const schema = configJsonSchema() as {
    $schema: string;
    additionalProperties: boolean;
    properties: Record<string, { anyOf?: { type: string; pattern?: string }[]; deprecated?: boolean }>;
  };
  t.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
  t.equal(schema.additionalProperties, false);
  t.same(schema.properties['shutdownTimeout']?.anyOf?.map((s) => s.type), ['integer', 'string'], 'durations accept a number or a string');
  t.equal(schema.properties['cluster']?.deprecated, true, 'not-yet-supported keys are marked');
});
