// `tollgate validate -c FILE`: every error as FILE:LINE:COL path: message, or a one-line summary.
import { formatConfigError, loadConfigFile } from './load.js';

export interface TextSink {
  write(text: string): unknown;
}

export function runValidate(file: string, out: TextSink = process.stdout, err: TextSink = process.stderr): number {
  const result = loadConfigFile(file);
  if (!result.ok) {
    for (const error of result.errors) err.write(`${formatConfigError(error)}\n`);
    return 1;
  }
  const routes = result.config.routes.length;
  const upstreams = Object.keys(result.config.upstreams).length;
  out.write(`${file}: ok (${routes} route${routes === 1 ? '' : 's'}, ${upstreams} upstream${upstreams === 1 ? '' : 's'})\n`);
  return 0;
}
