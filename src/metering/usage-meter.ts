// Usage metering in a worker: what each consumer sent and received, per route, UTC day and
// status class, counted in memory on the request path and handed to the supervisor with every
// metrics push (worker/main.ts). The supervisor is the single LMDB writer (usage-store.ts).

/** Counts of one consumer / route / UTC day / status class. */
export interface UsageRow {
  consumer: string;
  route: string;
  /** UTC date, YYYY-MM-DD. */
  day: string;
  /** '2xx', '3xx', '4xx' or '5xx' (429 is a 4xx; 499, client gone, too). */
  statusClass: string;
  requests: number;
  bytesIn: number;
  bytesOut: number;
}

/** What one worker counted since its previous push; `seq` counts the worker's pushes from 1. */
export interface UsageDelta {
  /** The worker thread's run: a new thread in the same slot starts its own sequence. */
  run: string;
  seq: number;
  rows: UsageRow[];
}

const DAY_MS = 86_400_000;
const CLASSES = ['1xx', '1xx', '2xx', '3xx', '4xx', '5xx'];

export function statusClass(status: number): string {
  // 1xx never ends an exchange; anything out of range is counted as a gateway error.
  return CLASSES[Math.floor(status / 100)] ?? '5xx';
}

/** The UTC date of a time, YYYY-MM-DD. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export const usageKey = (consumer: string, route: string, day: string, cls: string): string => `${consumer}\n${route}\n${day}\n${cls}`;

export class UsageMeter {
  private rows = new Map<string, UsageRow>();
  private seq = 0;
  // The day string is worked out once per UTC day, not per request.
  private day = '';
  private dayEnds = 0;

  constructor(private readonly run: string, private readonly now: () => number = Date.now) {}

  record(consumer: string, route: string, status: number, bytesIn: number, bytesOut: number): void {
    const now = this.now();
    if (now >= this.dayEnds || now < this.dayEnds - DAY_MS) {
      this.day = utcDay(now);
      this.dayEnds = (Math.floor(now / DAY_MS) + 1) * DAY_MS;
    }
    const cls = statusClass(status);
    const key = usageKey(consumer, route, this.day, cls);
    let row = this.rows.get(key);
    if (row === undefined) {
      row = { consumer, route, day: this.day, statusClass: cls, requests: 0, bytesIn: 0, bytesOut: 0 };
      this.rows.set(key, row);
    }
    row.requests++;
    row.bytesIn += bytesIn;
    row.bytesOut += bytesOut;
  }

  /** True when nothing was counted since the previous takeDelta(). */
  get empty(): boolean {
    return this.rows.size === 0;
  }

  /** What was counted since the previous call, or null when nothing was. */
  takeDelta(): UsageDelta | null {
    if (this.rows.size === 0) return null;
    const rows = [...this.rows.values()];
    this.rows = new Map();
    return { run: this.run, seq: ++this.seq, rows };
  }
}
