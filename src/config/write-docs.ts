// Generates docs/config.md, the config reference for operators, from the one schema (through its
// JSON Schema: types, defaults, limits, descriptions) and the access-log field list.
// Run: npm run docs (node dist/config/write-docs.js [outfile]); test/config/docs-current.test.ts
// fails when the checked-in file is stale.
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { ACCESS_FIELD_MEANINGS, ACCESS_FIELDS, DEFAULT_ACCESS_FIELDS } from '../observability/access-fields.js';
import { DURATION_PATTERN, SIZE_PATTERN } from './units.js';
import { configJsonSchema } from './write-schema.js';

export const DEFAULT_DOCS_FILE = 'docs/config.md';

/** The JSON Schema nodes this generator reads. */
interface Node {
  type?: string | string[];
  title?: string;
  description?: string;
  default?: unknown;
  deprecated?: boolean;
  properties?: Record<string, Node>;
  required?: string[];
  additionalProperties?: Node | boolean;
  propertyNames?: Node;
  items?: Node;
  anyOf?: Node[];
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  minItems?: number;
}

interface Row {
  key: string;
  type: string;
  default: string;
  meaning: string;
}

const isUnit = (node: Node, pattern: string): boolean => node.anyOf?.some((n) => n.pattern === pattern) === true;

function typeOf(node: Node): string {
  if (isUnit(node, DURATION_PATTERN)) return 'duration';
  if (isUnit(node, SIZE_PATTERN)) return 'size';
  if (node.const !== undefined) return `\`${JSON.stringify(node.const)}\``;
  if (node.enum) return `one of ${node.enum.map((v) => `\`${String(v)}\``).join(', ')}`;
  if (node.anyOf) return node.anyOf.map(typeOf).join(' or ');
  if (Array.isArray(node.type)) return node.type.join(' or ');
  switch (node.type) {
    case 'integer':
    case 'number': {
      const word = node.type === 'integer' ? 'whole number' : 'number';
      if (node.minimum !== undefined && node.maximum !== undefined) return `${word} ${node.minimum}..${node.maximum}`;
      if (node.minimum !== undefined) return `${word} >= ${node.minimum}`;
      return word;
    }
    case 'array':
      // A long list of allowed names (log.accessFields) is a table of its own in the docs.
      if ((node.items?.enum?.length ?? 0) > 8) return `list of ${node.items?.title ?? 'field names'}`;
      return node.items ? `list of ${plural(typeOf(node.items))}` : 'list';
    case 'object':
      if (node.properties) return 'mapping';
      if (typeof node.additionalProperties === 'object') return `mapping of names to ${plural(typeOf(node.additionalProperties))}`;
      return 'mapping';
    case undefined:
      return 'any YAML value';
    default:
      return node.type;
  }
}

function plural(type: string): string {
  if (type === 'mapping') return 'mappings';
  if (type === 'string') return 'strings';
  if (type.startsWith('one of ')) return type.replace(/^one of /, 'each one of ');
  return type;
}

function defaultOf(node: Node, required: boolean): string {
  if (required) return 'required';
  if (node.default === undefined) return '';
  if (node.default === '') return '`""` (none)';
  if (typeof node.default === 'object' && node.default !== null && Object.keys(node.default).length === 0 && !Array.isArray(node.default)) return '';
  if (Array.isArray(node.default) && node.default.length > 3) return 'see below';
  return `\`${JSON.stringify(node.default).replace(/^"(.*)"$/, '$1')}\``;
}

/** Rows for a mapping's keys, nested mappings flattened to dotted keys; not-yet-supported keys left out. */
function rows(node: Node, prefix: string, out: Row[] = []): Row[] {
  for (const [name, child] of Object.entries(node.properties ?? {})) {
    if (child.deprecated) continue;
    const key = `${prefix}${name}`;
    const required = node.required?.includes(name) === true;
    out.push({ key, type: typeOf(child), default: defaultOf(child, required), meaning: child.description ?? '' });
    // A mapping, or a key that takes one mapping or a list of them (listen, listen.tls): its keys.
    const mapping = child.properties ? child : child.anyOf?.find((n) => n.properties);
    if (mapping) rows(mapping, `${key}.`, out);
    // A mapping of names to mappings (auth.jwt, consumers): its entries' keys under NAME.
    const entry = typeof child.additionalProperties === 'object' ? child.additionalProperties : null;
    if (entry?.properties) rows(entry, `${key}.NAME.`, out);
    const item = child.items?.properties ? child.items : child.items?.anyOf?.find((n) => n.properties);
    if (item) rows(item, `${key}[].`, out);
  }
  return out;
}

function notSupported(node: Node, prefix: string, out: string[] = []): string[] {
  for (const [name, child] of Object.entries(node.properties ?? {})) {
    if (child.deprecated) out.push(`\`${prefix}${name}\``);
    else if (child.properties) notSupported(child, `${prefix}${name}.`, out);
    else if (typeof child.additionalProperties === 'object' && child.additionalProperties.properties) notSupported(child.additionalProperties, `${prefix}${name}.NAME.`, out);
  }
  return out;
}

const cell = (text: string): string => text.replace(/\|/g, '\\|');

function table(list: Row[]): string[] {
  return [
    '| key | type | default | meaning |',
    '|---|---|---|---|',
    ...list.map((r) => `| \`${r.key}\` | ${cell(r.type)} | ${cell(r.default)} | ${cell(r.meaning)} |`),
  ];
}

function accessFieldRows(): string[] {
  const inDefault = new Set<string>(DEFAULT_ACCESS_FIELDS);
  return [
    '| field | in the default | holds |',
    '|---|---|---|',
    ...ACCESS_FIELDS.map((f) => `| \`${f}\` | ${inDefault.has(f) ? 'yes' : 'no'} | ${cell(ACCESS_FIELD_MEANINGS[f])} |`),
  ];
}

const INTRO = `# Configuration reference

<!-- Generated by \`npm run docs\` (src/config/write-docs.ts) from the config schema; do not edit by hand. -->

Tollgate reads one YAML file: \`tollgate start -c FILE\`, \`tollgate validate -c FILE\`.

- \`\${NAME}\` and \`\${NAME:-default}\` are replaced by environment variables (\`$\${\` is a literal \`\${\`);
  an unset variable without a default is an error.
- Durations are strings such as \`250ms\`, \`30s\`, \`5m\`, \`1h\`, \`1d\`, or milliseconds; sizes are
  strings such as \`512b\`, \`64kb\`, \`1mb\` (1024 multiples), or bytes.
- Relative paths (\`dataDir\`, \`listen.tls.certFile\`, \`listen.tls.keyFile\`) are taken from the
  config file's directory, not the working directory.
- Unknown keys are errors, with the closest known key suggested; keys of features not built yet
  are refused with "not supported yet" (listed at the end).
- \`tollgate validate\` prints every problem as \`FILE:LINE:COL path.to.key: message\`; \`SIGHUP\`
  re-reads the file, and a file with errors keeps the running config.
- Editors that speak the YAML language server check the file against
  \`config/tollgate.schema.json\` when its first line is
  \`# yaml-language-server: $schema=PATH/tollgate.schema.json\`.

Examples: \`config/gateway.yaml\` (the annotated default) and \`config/examples/\`.
`;

/** The whole Markdown file. */
export function configDocsText(): string {
  const schema = configJsonSchema() as Node;
  const top = schema.properties ?? {};
  const upstream = (top['upstreams']?.additionalProperties ?? {}) as Node;
  const route = top['routes']?.items ?? {};
  const settings: Node = { properties: Object.fromEntries(Object.entries(top).filter(([k]) => k !== 'upstreams' && k !== 'routes')) };
  const lines = [
    INTRO,
    '## Settings',
    '',
    ...table(rows(settings, '')),
    '',
    '## `upstreams.NAME`',
    '',
    `${top['upstreams']?.description ?? 'Named upstream services'}: a mapping of names (letters, digits, \`_\`, \`.\`, \`-\`) to upstreams; routes name them in \`upstream\`.`,
    '',
    ...table(rows(upstream, '')),
    '',
    '## `routes[]`',
    '',
    'A list of routes. Matching is on the normalised path (percent-decoding of unreserved characters, `//` and dot-segments resolved): static segments beat `:params`, which beat a trailing `*`. A path with no route is answered 404; a route without the method, 405 with `Allow`. Each route has `upstream` or `respond`.',
    '',
    ...table(rows(route, '')),
    '',
    '## Access-log fields (`log.accessFields`)',
    '',
    'Each access line is one JSON object: `level`, `worker`, `msg: "request"` and the fields listed, in their order. The default is every field marked "yes", in this order.',
    '',
    ...accessFieldRows(),
    '',
    '## Not supported yet',
    '',
    `Refused by \`validate\` rather than accepted and ignored: ${[
      ...notSupported(settings, ''),
      ...notSupported(upstream, 'upstreams.NAME.'),
      ...notSupported(route, 'routes[].'),
    ].join(', ')}.`,
    '',
  ];
  return lines.join('\n');
}

function main(): void {
  const file = process.argv[2] ?? DEFAULT_DOCS_FILE;
  writeFileSync(file, configDocsText());
  process.stdout.write(`wrote ${file}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
