// The usage store's figures in GET /metrics (observability/metric-catalogue.ts), counted by the supervisor.
import { counter } from '../observability/metric-def.js';

export const USAGE_FLUSHES = counter('tollgate_usage_flushes_total', ['result'],
  'Usage flushes to LMDB (dataDir/usage) that had rows to write, by result: success, or failure (the rows stay pending and the next flush retries them, counted once).');

export const USAGE_ROWS_WRITTEN = counter('tollgate_usage_rows_written_total', [],
  'Usage rows (consumer / route / UTC day / status class) added to LMDB by successful flushes.');

export const METERING_METRICS = [USAGE_FLUSHES, USAGE_ROWS_WRITTEN];
