// Paths in the config: files the gateway must read at start (TLS certificate and key) and
// directories it writes. Relative paths resolve against the config file's directory
// (../config-dir.ts); the loaded config holds absolute paths.
import { accessSync, constants, statSync } from 'node:fs';
import { z } from 'zod';
import { describePath, resolveConfigPath } from '../config-dir.js';

/** A readable regular file; becomes its absolute path. An error names the full path tried. */
export function readableFile(label: string) {
  return z
    .string()
    .min(1)
    .transform((file, ctx) => {
      const full = resolveConfigPath(file);
      const problem = fileProblem(full);
      if (problem === null) return full;
      ctx.addIssue({ code: 'custom', message: `${label} ${describePath(file, full)} ${problem}`, input: file });
      return z.NEVER;
    });
}

/** A directory path, not checked here (it may be created on first use); becomes its absolute path. */
export function configDirectory(defaultPath: string) {
  // The default sits inside the transform, so it is resolved too and the JSON Schema shows it.
  return z.string().min(1).default(defaultPath).transform((dir) => resolveConfigPath(dir));
}

function fileProblem(file: string): string | null {
  try {
    if (!statSync(file).isFile()) return 'is not a regular file';
    accessSync(file, constants.R_OK);
    return null;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'does not exist';
    if (code === 'EACCES') return 'is not readable';
    return `cannot be read (${code ?? String(error)})`;
  }
}
