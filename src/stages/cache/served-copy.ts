// A hit from a worker's own copy of an entry (cache/hot-entries.ts), at the cost of the answer
// alone. Read from LMDB, an entry's fields are decoded from its bytes on every hit, its head and
// body are new views each time, and its labels (Age, X-Cache, Cache-Status) are gathered into the
// head line by line: together about a tenth of a small hit's CPU (native-bench/PROFILE.md). A
// copy's bytes never change while it is held, so all of that is done once per copy here, and the
// labelled head once per second: Age and the `ttl` of Cache-Status are whole seconds.
import type { HotCopy } from '../../cache/hot-entries.js';
import {
  entryBody, entryBodyLength, entryFingerprint, entryFlags, entryFreshUntil, entryHash, entryHead, entryInitialAge,
  entryNameLength, entryStatus, entryStoredAt, FLAG_AUTH_OK, isEntry, KIND_ANSWER,
} from '../../cache/entry-format.js';
import { CACHE_NAME } from './serve.js';

/** A stored answer's fields, as the hit path reads them; the bytes stay the copy's. */
export class ServedCopy {
  readonly fingerprint: number;
  /** RFC 9111 §3.5: the answer may be given to a request with Authorization. */
  readonly authorizationOk: boolean;
  readonly status: number;
  readonly storedAt: number;
  readonly freshUntil: number;
  readonly initialAge: number;
  readonly hash: number;
  readonly nameLength: number;
  readonly body: Uint8Array;
  readonly bodyLength: number;
  /** The stored header lines (a view). */
  private readonly lines: Uint8Array;
  private age = -1;
  private ttl = 0;
  private labelled: Uint8Array;

  constructor(readonly bytes: Uint8Array) {
    this.fingerprint = entryFingerprint(bytes);
    this.authorizationOk = (entryFlags(bytes) & FLAG_AUTH_OK) !== 0;
    this.status = entryStatus(bytes);
    this.storedAt = entryStoredAt(bytes);
    this.freshUntil = entryFreshUntil(bytes);
    this.initialAge = entryInitialAge(bytes);
    this.hash = entryHash(bytes);
    this.nameLength = entryNameLength(bytes);
    this.body = entryBody(bytes);
    this.bodyLength = entryBodyLength(bytes);
    this.lines = entryHead(bytes);
    this.labelled = this.lines;
  }

  /**
   * The stored lines followed by a fresh hit's labels, `age` and `ttl` as Age and Cache-Status
   * say them: rendered again only when either changed since the last hit.
   */
  hitLines(age: number, ttl: number): Uint8Array {
    if (age !== this.age || ttl !== this.ttl) {
      const labels = `age: ${age}\r\nx-cache: HIT\r\ncache-status: ${CACHE_NAME}; hit; ttl=${ttl}`;
      this.labelled = this.lines.length === 0
        ? Buffer.from(labels, 'latin1')
        : Buffer.concat([this.lines, Buffer.from('\r\n' + labels, 'latin1')]);
      this.age = age;
      this.ttl = ttl;
    }
    return this.labelled;
  }
}

/** The copy's fields, read once; null when it holds no answer (a Vary marker, another format). */
export function servedCopy(copy: HotCopy): ServedCopy | null {
  const derived = copy.derived;
  if (derived instanceof ServedCopy) return derived;
  if (derived !== null || !isEntry(copy.bytes, KIND_ANSWER)) {
    copy.derived = false;
    return null;
  }
  const served = new ServedCopy(copy.bytes);
  copy.derived = served;
  return served;
}
