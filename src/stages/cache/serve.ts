// Answers from a stored entry, and the labels every answer of a cached route carries:
// `X-Cache` (HIT, MISS, STALE, BYPASS: where the body came from) and RFC 9211 `Cache-Status`.
import type { Exchange } from '../../pipeline/exchange.js';
import type { CacheResults } from './metrics.js';
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
  const age = Math.max(0, Math.round(entryInitialAge(buf) + (now - entryStoredAt(buf)) / 1000));
  const headers = ['age', String(age), 'x-cache', xCache, 'cache-status', cacheStatus];
  const status = entryStatus(buf);
  Atomics.store(words, accessSlot(entryHash(buf)), epochSeconds(now));
  if (status === 200 && notModified(buf, conditional)) {
    ex.replyStored(304, entryHead(buf), entryNameLength(buf), headers, null, -1);
  } else if (head || status === 204 || status === 304) {
    ex.replyStored(status, entryHead(buf), entryNameLength(buf), headers, null, status === 204 ? -1 : entryBodyLength(buf));
  } else {
    ex.replyStored(status, entryHead(buf), entryNameLength(buf), headers, entryBody(buf), 0);
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
