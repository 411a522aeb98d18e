import { randomBytes, randomUUID } from 'node:crypto';

// A client-supplied id is kept only when it is short and cannot inject anything into logs or headers.
const WELL_FORMED = /^[A-Za-z0-9._:+=/-]{1,128}$/;

export function acceptRequestId(value: string): string {
  return value !== '' && WELL_FORMED.test(value) ? value : randomUUID();
}

// W3C Trace Context: version-traceid-parentid-flags; all-zero ids are invalid.
const TRACEPARENT = /^[0-9a-f]{2}-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;

export function isValidTraceparent(value: string): boolean {
  return value.length === 55 && TRACEPARENT.test(value) && !value.startsWith('ff');
}

export function newTraceparent(): string {
  const bytes = randomBytes(24).toString('hex');
  return '00-' + bytes.slice(0, 32) + '-' + bytes.slice(32, 48) + '-01';
}
