// A path to a file the gateway must read at start (TLS certificate and key).
import { accessSync, constants, statSync } from 'node:fs';
import { z } from 'zod';

/** Relative paths are read from the current working directory. */
export function readableFile(label: string) {
  return z
    .string()
    .min(1)
    .superRefine((file, ctx) => {
      const problem = fileProblem(file);
      if (problem) ctx.addIssue({ code: 'custom', message: `${label} ${JSON.stringify(file)} ${problem}`, input: file });
    });
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
