// Failing inputs are kept as one JSON file each in test/fuzz/regressions/, and the in-suite test
// replays every one of them. The input is a JSON string with one char per byte (latin1), so
// the file stays readable and diffable while holding any bytes.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FuzzCase } from './generate.js';
import type { Violation } from './invariants.js';

export const REGRESSIONS_DIR = fileURLToPath(new URL('./regressions/', import.meta.url));

export interface RegressionFile {
  /** What the input is about, for people. */
  title: string;
  /** The seed and case that found it (the generator of that time), or how it was made. */
  origin: string;
  mutations: string[];
  /** What it broke when it was found. */
  violations: Violation[];
  input: string;
}

/** Regression inputs take case numbers from here up, apart from any generated case's. */
const REGRESSION_INDEX_BASE = 1_000_000_000;

export function loadRegressions(dir = REGRESSIONS_DIR): { file: string; data: RegressionFile; fuzzCase: FuzzCase }[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json')).sort();
  } catch {
    return [];
  }
  return names.map((file, i) => {
    const data = JSON.parse(readFileSync(join(dir, file), 'utf8')) as RegressionFile;
    return {
      file,
      data,
      fuzzCase: { index: REGRESSION_INDEX_BASE + i, origin: file, bytes: Buffer.from(data.input, 'latin1'), mutations: data.mutations },
    };
  });
}

/**
 * Writes one failing case; the name says what broke and where it came from. Regression inputs
 * keep the keys of the run that found them: replayed alone, every request the upstream gets is
 * the case's whatever its key says.
 */
export function saveRegression(c: FuzzCase, violations: Violation[], title?: string, name?: string, dir = REGRESSIONS_DIR): string {
  mkdirSync(dir, { recursive: true });
  const slug = name ?? `${violations[0]?.invariant ?? 'failure'}-${c.origin.replace(/[^a-z0-9]+/gi, '-')}`.toLowerCase();
  const file = join(dir, `${slug}.json`);
  const data: RegressionFile = {
    title: title ?? `${violations[0]?.invariant ?? 'failure'} from ${c.origin}`,
    origin: c.origin,
    mutations: c.mutations,
    violations,
    input: c.bytes.toString('latin1'),
  };
  writeFileSync(file, JSON.stringify(data, null, 2) + '\n');
  return file;
}
