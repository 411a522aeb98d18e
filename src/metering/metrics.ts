// The figures of usage metering (counted by the supervisor) and quotas (by the quota stage) in GET /metrics (observability/metric-catalogue.ts).
import { counter } from '../observability/metric-def.js';

export const USAGE_FLUSHES = counter('tollgate_usage_flushes_total', ['result'],
  'Usage flushes to LMDB (dataDir/usage) that had rows to write, by result: success, or failure (the rows stay pending and the next flush retries them, counted once).');

export const USAGE_ROWS_WRITTEN = counter('tollgate_usage_rows_written_total', [],
  'Usage rows (consumer / route / UTC day / status class) added to LMDB by successful flushes.');

export const QUOTA_EXCEEDED = counter('tollgate_quota_exceeded_total', ['route', 'plan'],
  "Requests answered 429 because the consumer's plan quota (plans.NAME.quota) was used up for the UTC day or month.",
  { view: { on: 'route', field: 'quotaExceeded' } });

export const METERING_METRICS = [USAGE_FLUSHES, USAGE_ROWS_WRITTEN, QUOTA_EXCEEDED];
