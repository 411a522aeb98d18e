// `tollgate init [FILE] [--upstream URL] [--force]`: writes the starter config.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { formatConfigError, loadConfigText } from '../config/load.js';
import { targetOrigin } from '../config/schema/upstreams.js';
import type { TextSink } from '../config/validate-command.js';
import { DEFAULT_INIT_FILE } from './commands.js';
import { UsageError } from './parse-command.js';
import { DEFAULT_STARTER_UPSTREAM, starterConfig } from './starter-config.js';

export interface InitOptions {
  file?: string;
  upstream?: string;
  force: boolean;
}

/** Exit 0 once the file is written; 1 when it cannot be (it exists, no such folder). Throws UsageError on a bad --upstream. */
export function runInit(options: InitOptions, out: TextSink = process.stdout, err: TextSink = process.stderr): number {
  const file = options.file ?? DEFAULT_INIT_FILE;
  const full = resolve(file);
  const target = targetOrigin(options.upstream ?? DEFAULT_STARTER_UPSTREAM);
  if (!target.ok) throw new UsageError(`--upstream needs an origin such as ${DEFAULT_STARTER_UPSTREAM}: ${target.message}`);
  const text = starterConfig(target.origin, file);
  // The file must pass validate as written: checked before it exists, whatever the environment holds.
  const checked = loadConfigText(text, full, {});
  if (!checked.ok) {
    for (const e of checked.errors) err.write(`tollgate init: the starter config would not validate: ${formatConfigError(e)}\n`);
    return 1;
  }
  try {
    // 'wx' fails on an existing file instead of truncating it, with no window between a check and the write.
    writeFileSync(full, text, { flag: options.force ? 'w' : 'wx' });
  } catch (error) {
    err.write(`tollgate init: ${writeFailure(full, error as NodeJS.ErrnoException)}\n`);
    return 1;
  }
  out.write(`wrote ${full}\ncheck it: tollgate validate -c ${file}\nstart it: tollgate start -c ${file}\n`);
  return 0;
}

function writeFailure(full: string, error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'EEXIST': return `${full} already exists; pass --force to overwrite it`;
    case 'ENOENT': return `cannot write ${full}: its folder does not exist`;
    case 'EISDIR': return `cannot write ${full}: it is a folder`;
    case 'EACCES':
    case 'EPERM': return `cannot write ${full}: permission denied`;
    case 'ENOTDIR': return `cannot write ${full}: a part of the path is not a folder`;
    default: return `cannot write ${full} (${error.code ?? error.message})`;
  }
}
