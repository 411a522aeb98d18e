// GET /usage: its parameters, checked, and its CSV form (RFC 4180) for a billing import.
import type { UsageRow } from './usage-meter.js';
import type { UsageQuery } from './usage-store.js';

const PARAMETERS = ['consumer', 'from', 'to', 'route'];
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A query, or the parameter at fault and why. */
export type ParsedUsageQuery = { ok: true; query: UsageQuery } | { ok: false; parameter: string; reason: string };

export function parseUsageQuery(search: URLSearchParams): ParsedUsageQuery {
  for (const name of new Set(search.keys())) {
    if (!PARAMETERS.includes(name)) return { ok: false, parameter: name, reason: `unknown parameter; use ${PARAMETERS.join(', ')}` };
    if (search.getAll(name).length > 1) return { ok: false, parameter: name, reason: 'given more than once' };
  }
  const consumer = search.get('consumer');
  if (consumer === null || consumer === '') return { ok: false, parameter: 'consumer', reason: 'required: the consumer id' };
  const dates: Record<'from' | 'to', string> = { from: '', to: '' };
  for (const name of ['from', 'to'] as const) {
    const value = search.get(name);
    if (value === null || value === '') return { ok: false, parameter: name, reason: 'required: a UTC date, YYYY-MM-DD' };
    if (!isDate(value)) return { ok: false, parameter: name, reason: `"${value}" is not a date; use YYYY-MM-DD (UTC)` };
    dates[name] = value;
  }
  if (dates.from > dates.to) return { ok: false, parameter: 'from', reason: `${dates.from} is after to (${dates.to})` };
  const route = search.get('route');
  if (route === '') return { ok: false, parameter: 'route', reason: 'empty; leave it out for every route' };
  return { ok: true, query: { consumer, from: dates.from, to: dates.to, route } };
}

function isDate(value: string): boolean {
  if (!DATE.test(value)) return false;
  const ms = Date.parse(`${value}T00:00:00Z`);
  // Date.parse rolls 2026-02-30 over to March: the round trip tells.
  return Number.isFinite(ms) && new Date(ms).toISOString().startsWith(value);
}

/** Whether the Accept header asks for CSV rather than JSON (the one with the higher q; JSON on a tie). */
export function wantsCsv(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  let csv = 0;
  let json = 0;
  for (const part of accept.split(',')) {
    const [type = '', ...params] = part.split(';').map((p) => p.trim().toLowerCase());
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    if (!Number.isFinite(q)) continue;
    if (type === 'text/csv') csv = Math.max(csv, q);
    else if (type === 'application/json' || type === '*/*' || type === 'application/*') json = Math.max(json, q);
  }
  return csv > 0 && csv > json;
}

export const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8; header=present';
const CSV_HEADER = ['consumer', 'route', 'day', 'status_class', 'requests', 'bytes_in', 'bytes_out'];

/** One header row, then one row per consumer / route / day / status class; CRLF line ends. */
export function usageCsv(rows: readonly UsageRow[]): string {
  const lines = [CSV_HEADER.join(',')];
  for (const r of rows) lines.push([r.consumer, r.route, r.day, r.statusClass, r.requests, r.bytesIn, r.bytesOut].map(csvField).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

function csvField(value: string | number): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The JSON answer: the query, every row, and their totals. */
export function usageJson(query: UsageQuery, rows: readonly UsageRow[]): object {
  const totals = { requests: 0, bytesIn: 0, bytesOut: 0 };
  for (const r of rows) {
    totals.requests += r.requests;
    totals.bytesIn += r.bytesIn;
    totals.bytesOut += r.bytesOut;
  }
  return { consumer: query.consumer, from: query.from, to: query.to, route: query.route, rows, totals };
}
