const DIGITS = /^\d{1,16}$/;

/** Parses a decimal integer within [min, max]; `fallback` stands for an empty value; null when invalid. */
export function parseIntParam(text: string, min: number, max: number, fallback?: number): number | null {
  if (text === '' && fallback !== undefined) return fallback;
  if (!DIGITS.test(text)) return null;
  const value = Number(text);
  return value >= min && value <= max ? value : null;
}
