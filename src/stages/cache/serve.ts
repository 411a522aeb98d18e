// Answers from a stored entry, and the labels every answer of a cached route carries:
// `X-Cache` (HIT, MISS, STALE, BYPASS: where the body came from) and RFC 9211 `Cache-Status`.
import type { Exchange } from '../../pipeline/exchange.js';
import type { CacheResults } from './metrics.js';
import type { ServedCopy } from './served-copy.js';
import { accessSlot, epochSeconds } from '../../shm/cache-layout.js';
import {
  entryBody, entryBodyLength, entryEtag, entryFreshUntil, entryHash, entryHead, entryInitialAge,
  entryLastModified, entryNameLength, entryStatus, entryStoredAt,
} from '../../cache/entry-format.js';

export const CACHE_NAME = 'Tollgate';

/** The client's own conditional headers: a stored 200 answers them with 304. */
export interface ClientConditional {
  ifNoneMatch: string;
  ifModifiedSince: string;
}

export const NO_CONDITIONAL: ClientConditional = { ifNoneMatch: '', ifModifiedSince: '' };

/**
 * Writes the entry in `buf` (borrowed: written before this returns) with its Age and labels, as a
 * 304 when the client's conditional matches, without a body for HEAD. Marks the key as used now
 * in the shared access clock (the evictor's LRU order). Counts the answer in `results` (null: a
 * background refresh, which answers no client).
 */
export function serveEntry(
  ex: Exchange, buf: Uint8Array, now: number, head: boolean, conditional: ClientConditional,
  xCache: 'HIT' | 'STALE', cacheStatus: string, words: Int32Array, results: CacheResults | null,
): void {
  if (results !== null) results[xCache].value++;
  const age = ageOf(entryInitialAge(buf), entryStoredAt(buf), now);
  const headers = ['age', String(age), 'x-cache', xCache, 'cache-status', cacheStatus];
  Atomics.store(words, accessSlot(entryHash(buf)), epochSeconds(now));
  answer(ex, buf, entryStatus(buf), entryHead(buf), entryNameLength(buf), headers, head, conditional, entryBody(buf), entryBodyLength(buf));
}

/**
 * serveEntry() for a fresh hit from a worker's own copy (served-copy.ts): the same answer, its
 * fields read once per copy and its labelled head rendered once per second.
 */
export function serveCopy(
  ex: Exchange, copy: ServedCopy, now: number, head: boolean, conditional: ClientConditional, words: Int32Array, results: CacheResults | null,
): void {
  if (results !== null) results.HIT.value++;
  const lines = copy.hitLines(ageOf(copy.initialAge, copy.storedAt, now), Math.floor((copy.freshUntil - now) / 1000));
  Atomics.store(words, accessSlot(copy.hash), epochSeconds(now));
  answer(ex, copy.bytes, copy.status, lines, copy.nameLength, NO_LABELS, head, conditional, copy.body, copy.bodyLength);
}

const NO_LABELS: readonly string[] = [];

/** RFC 9111 §5.1: the Age an answer stored at `storedAt` with `initialAge` has at `now`. */
function ageOf(initialAge: number, storedAt: number, now: number): number {
  return Math.max(0, Math.round(initialAge + (now - storedAt) / 1000));
}

/** The entry `buf` with `lines` + `headers` as its head: a 304 when the conditional matches, no body for HEAD. */
function answer(
  ex: Exchange, buf: Uint8Array, status: number, lines: Uint8Array, nameLength: number, headers: readonly string[], head: boolean,
  conditional: ClientConditional, body: Uint8Array, bodyLength: number,
): void {
  if (status === 200 && notModified(buf, conditional)) {
    ex.replyStored(304, lines, nameLength, headers, null, -1);
  } else if (head || status === 204 || status === 304) {
    ex.replyStored(status, lines, nameLength, headers, null, status === 204 ? -1 : bodyLength);
  } else {
    ex.replyStored(status, lines, nameLength, headers, body, 0);
  }
}

/** Whole seconds of freshness left, as Cache-Status `ttl` says it: negative (-1 at least) once stale. */
export function ttlOf(buf: Uint8Array, now: number): number {
  return Math.floor((entryFreshUntil(buf) - now) / 1000);
}

export function hitStatus(buf: Uint8Array, now: number): string {
  return `${CACHE_NAME}; hit; ttl=${ttlOf(buf, now)}`;
}

/** RFC 9110 §13.1.2 / §13.1.3: If-None-Match (weak comparison) wins over If-Modified-Since. */
function notModified(buf: Uint8Array, c: ClientConditional): boolean {
  if (c.ifNoneMatch !== '') {
    const etag = entryEtag(buf);
    if (etag === '') return false;
    if (c.ifNoneMatch.trim() === '*') return true;
    const stored = weak(etag);
    return c.ifNoneMatch.split(',').some((tag) => weak(tag.trim()) === stored);
  }
  if (c.ifModifiedSince !== '') {
    const since = Date.parse(c.ifModifiedSince);
    const lastModified = Date.parse(entryLastModified(buf));
    return Number.isFinite(since) && Number.isFinite(lastModified) && lastModified <= since;
  }
  return false;
}

function weak(tag: string): string {
  return tag.startsWith('W/') ? tag.slice(2) : tag;
}
