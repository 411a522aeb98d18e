// Generates config/tollgate.schema.json (the input format, for editors) from the one schema.
// Run: node dist/config/write-schema.js [outfile]
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { gatewaySchema } from './schema/index.js';

export const DEFAULT_SCHEMA_FILE = 'config/tollgate.schema.json';

export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(gatewaySchema, { io: 'input', target: 'draft-2020-12' });
  return {
    ...schema,
    title: 'Tollgate gateway configuration',
    description: 'Durations are milliseconds or strings like 30s; sizes are bytes or strings like 64kb. ${ENV} and ${ENV:-default} are interpolated.',
  };
}

/** The file content: stable key order from the schema source, two-space indent, final newline. */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}

function main(): void {
  const file = process.argv[2] ?? DEFAULT_SCHEMA_FILE;
  writeFileSync(file, configJsonSchemaText());
  process.stdout.write(`wrote ${file}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
