// Durations and sizes as operators write them, turned into milliseconds and bytes.
export type UnitResult = { ok: true; value: number } | { ok: false; message: string };

// setTimeout fires at once for delays above 2^31-1 ms, so longer durations are refused.
export const MAX_DURATION_MS = 2_147_483_647;

export const DURATION_PATTERN = '^[0-9]+(\\.[0-9]+)?(ms|s|m|h|d)$';
export const SIZE_PATTERN = '^[0-9]+(\\.[0-9]+)?([bB]|[kK][bB]|[mM][bB]|[gG][bB])$';

const DURATION_FACTORS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const SIZE_FACTORS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

const DURATION_HELP = 'use a number of milliseconds or a string like 250ms, 30s, 5m, 1h, 1d';
const SIZE_HELP = 'use a number of bytes or a string like 512b, 64kb, 1mb, 1gb';

export function parseDuration(input: unknown): UnitResult {
  const ms = toUnits(input, DURATION_PATTERN, DURATION_FACTORS);
  if (ms === undefined) return { ok: false, message: `invalid duration ${show(input)}: ${DURATION_HELP}` };
  if (ms > MAX_DURATION_MS) return { ok: false, message: `duration ${show(input)} is too long (at most ${MAX_DURATION_MS} ms, about 24.8 days)` };
  return { ok: true, value: ms };
}

export function parseSize(input: unknown): UnitResult {
  const bytes = toUnits(input, SIZE_PATTERN, SIZE_FACTORS);
  if (bytes === undefined) return { ok: false, message: `invalid size ${show(input)}: ${SIZE_HELP}` };
  if (!Number.isSafeInteger(bytes)) return { ok: false, message: `size ${show(input)} is too large` };
  return { ok: true, value: bytes };
}

function toUnits(input: unknown, pattern: string, factors: Record<string, number>): number | undefined {
  if (typeof input === 'number') {
    return Number.isInteger(input) && input >= 0 ? input : undefined;
  }
  if (typeof input !== 'string' || !new RegExp(pattern).test(input)) return undefined;
  const unit = /[a-zA-Z]+$/.exec(input)?.[0].toLowerCase() ?? '';
  const factor = factors[unit];
  if (factor === undefined) return undefined;
  return Math.round(Number(input.slice(0, -unit.length)) * factor);
}

function show(input: unknown): string {
  return typeof input === 'string' ? JSON.stringify(input) : String(input);
}
