// What the loader reports: one error per problem, with the position of the YAML node.
export interface ConfigError {
  file: string;
  line: number;
  col: number;
  /** Dotted path to the key, like `routes.0.match.path`; `(root)` for the whole file. */
  path: string;
  message: string;
}

/** `FILE:LINE:COL path.to.key: message`, the format of `tollgate validate`. */
export function formatConfigError(error: ConfigError): string {
  return `${error.file}:${error.line}:${error.col} ${error.path}: ${error.message}`;
}

export type ConfigPath = ReadonlyArray<string | number>;

/** A problem found before positions are known: where it is, and whether it is about the key. */
export interface Problem {
  path: ConfigPath;
  message: string;
  at: 'key' | 'value';
  /** A known source offset, more exact than the node's start (interpolation errors). */
  offset?: number;
}

export function formatPath(path: ConfigPath): string {
  return path.length === 0 ? '(root)' : path.join('.');
}
