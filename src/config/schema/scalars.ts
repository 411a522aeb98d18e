// Small schema pieces shared by the area fragments: units, ports, names, unsupported keys.
import { z } from 'zod';
import { DURATION_PATTERN, SIZE_PATTERN, parseDuration, parseSize, type UnitResult } from '../units.js';

export const port = z.number().int().min(0).max(65535);

/** Identifiers that end up in logs and metric labels: route ids, upstream names. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export const name = (what: string) =>
  z.string().regex(NAME_PATTERN, { error: `invalid ${what}: use letters, digits, "_", "." and "-" (at most 128 characters)` });

interface UnitBounds {
  min?: number;
  max?: number;
}

/**
 * A duration string (30s) or milliseconds, parsed to milliseconds. `wholeSeconds`: only whole
 * seconds, for settings handed to uWS, which counts in seconds.
 */
export function duration(options: UnitBounds & { wholeSeconds?: boolean } = {}) {
  const ms = unitValue(DURATION_PATTERN, 'a duration like 30s or a number of milliseconds', parseDuration, options, formatMs);
  if (options.wholeSeconds !== true) return ms;
  return ms.refine((value) => value % 1000 === 0, { error: 'must be whole seconds (uWebSockets.js counts this timeout in seconds)' });
}

/** A size string (64kb) or bytes, parsed to bytes. */
export function size(options: UnitBounds = {}) {
  return unitValue(SIZE_PATTERN, 'a size like 64kb or a number of bytes', parseSize, options, (n) => `${n} bytes`);
}

/** A bound in the unit an operator writes: 15m, 5s, 250ms. */
function formatMs(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1000 && ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

function unitValue(pattern: string, expected: string, parse: (v: unknown) => UnitResult, { min, max }: UnitBounds, format: (n: number) => string) {
  const input = z.union([z.number().meta({ type: 'integer', minimum: 0 }), z.string().meta({ pattern })], {
    error: `expected ${expected}`,
  });
  return input.transform((value, ctx): number => {
    const result = parse(value);
    if (!result.ok) {
      ctx.addIssue({ code: 'custom', message: result.message, input: value });
      return z.NEVER;
    }
    if (min !== undefined && result.value < min) {
      ctx.addIssue({ code: 'custom', message: `must be at least ${format(min)}`, input: value });
      return z.NEVER;
    }
    if (max !== undefined && result.value > max) {
      ctx.addIssue({ code: 'custom', message: `must be at most ${format(max)}`, input: value });
      return z.NEVER;
    }
    return result.value;
  });
}

/** An optional key whose value becomes null when absent, so the output never has undefined. */
export function orNull<T extends z.ZodType>(schema: T) {
  return schema.optional().transform((value): z.output<T> | null => value ?? null);
}

/**
 * Keys that a later feature will implement. They are refused with a clear message instead of
 * being accepted and ignored, and shown as deprecated in the JSON Schema so editors flag them.
 */
export function notSupported(label: string) {
  return z
    .never({ error: `${label} is not supported yet` })
    .optional()
    .meta({ deprecated: true, description: `${label}: not supported yet` });
}

export function notSupportedKeys<K extends string>(scope: string, keys: readonly K[]) {
  const entries = keys.map((key) => [key, notSupported(`${scope}"${key}"`)] as const);
  return Object.fromEntries(entries) as Record<K, ReturnType<typeof notSupported>>;
}

/** A strict object that also refuses the given not-yet-supported keys. */
export function strictObjectRefusing<S extends z.ZodRawShape, K extends string>(shape: S, scope: string, keys: readonly K[]) {
  const full = z.strictObject({ ...shape, ...notSupportedKeys(scope, keys) });
  // A refused key fails the parse, so it never reaches the output; the cast drops it from the type.
  return full.transform((value) => value as z.output<z.ZodObject<S>>);
}
