/**
 * A consistent-hash ring (Karger et al.): each target owns POINTS_PER_WEIGHT points per unit of
 * weight, placed by hashing "origin#n", and a key belongs to the first point at or after its own
 * hash. A target's points depend on its origin only, so when a target leaves, only the keys on
 * its points move (to the next points along the ring); every other key stays where it was.
 *
 * Points are two parallel typed arrays sorted by hash (binary search, no objects per point).
 */
export const POINTS_PER_WEIGHT = 100;

/** FNV-1a over the UTF-16 code units, then murmur3's finaliser: short keys spread over all 32 bits. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export class HashRing {
  /** Point hashes, ascending. */
  readonly hashes: Uint32Array;
  /** The target index of each point. */
  readonly owners: Uint16Array;

  constructor(members: readonly { origin: string; weight: number }[]) {
    const points: [number, number][] = [];
    members.forEach((m, index) => {
      for (let n = 0; n < m.weight * POINTS_PER_WEIGHT; n++) points.push([hash32(`${m.origin}#${n}`), index]);
    });
    // Ties (two points with one hash) are ordered by owner, so every worker builds the same ring.
    points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    this.hashes = Uint32Array.from(points, (p) => p[0]);
    this.owners = Uint16Array.from(points, (p) => p[1]);
  }

  /** The index of the first point at or after `hash`, wrapping to 0 past the last. */
  firstPoint(hash: number): number {
    const hashes = this.hashes;
    let lo = 0;
    let hi = hashes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (hashes[mid]! < hash) lo = mid + 1;
      else hi = mid;
    }
    return lo === hashes.length ? 0 : lo;
  }

  /** The target index owning `key` (ignoring health). */
  owner(key: string): number {
    return this.owners[this.firstPoint(hash32(key))]!;
  }
}
