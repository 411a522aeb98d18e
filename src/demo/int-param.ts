const DIGITS = /^\d{1,16}$/;

/**
 * Parses a decimal integer within [min, max]; `fallback` stands for an empty value; null when
 * invalid or absent (uWS 20.57 types a missing route parameter as undefined).
 */
export function parseIntParam(text: string | undefined, min: number, max: number, fallback?: number): number | null {
  if (text === undefined) return null;
  if (text === '' && fallback !== undefined) return fallback;
  if (!DIGITS.test(text)) return null;
  const value = Number(text);
  return value >= min && value <= max ? value : null;
}
