// Defensive readers for the raw (parsed, not yet validated) config: the cross-field checks run
// on it so that they report even when another part of the file is invalid.
export type RawMap = Record<string, unknown>;

export function asMap(value: unknown): RawMap | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as RawMap) : null;
}

export function asString(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

export function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
