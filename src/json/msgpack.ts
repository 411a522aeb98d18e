// JSON <-> MessagePack: the one module that names msgpackr. Standard MessagePack only (msgpackr's
// record extension off), maps with string keys as objects.
import { C1, Packr, Unpackr } from 'msgpackr';

const packr = new Packr({ useRecords: false });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });

export type Translation = { ok: true; body: Buffer } | { ok: false; reason: string };

/**
 * Refuses what has no JSON form instead of letting JSON.stringify invent one: binary (a Buffer's
 * toJSON would make {type, data}), the reserved 0xc1 byte (msgpackr answers it as a marker value).
 * A BigInt (an int64 beyond 2^53) makes JSON.stringify throw, which is caught by the caller.
 */
function noJsonForm(this: unknown, key: string, value: unknown): unknown {
  const raw = (this as Record<string, unknown>)[key];
  if (raw === C1) throw new TypeError('the reserved byte 0xc1');
  if (raw instanceof Uint8Array) throw new TypeError('a binary value');
  return value;
}

/** A MessagePack body (one value, nothing after it) as JSON bytes. */
export function msgpackToJson(body: Uint8Array): Translation {
  let value: unknown;
  try {
    value = unpackr.unpack(body);
  } catch (err) {
    return { ok: false, reason: `invalid MessagePack (${(err as Error).message.split(/[:{]/)[0]!.trim()})` };
  }
  try {
    return { ok: true, body: Buffer.from(JSON.stringify(value, noJsonForm)) };
  } catch (err) {
    return { ok: false, reason: `MessagePack value with no JSON form: ${(err as Error).message}` };
  }
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** A JSON body as MessagePack. */
export function jsonToMsgpack(body: Uint8Array | string): Translation {
  let value: unknown;
  try {
    value = JSON.parse(typeof body === 'string' ? body : decoder.decode(body));
  } catch {
    return { ok: false, reason: 'invalid JSON' };
  }
  return { ok: true, body: packr.pack(value) };
}
