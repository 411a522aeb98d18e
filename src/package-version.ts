// Tollgate's own version, from the package.json beside dist/ (in a checkout and in an installed package).
import { readFileSync } from 'node:fs';

export const TOLLGATE_VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
