// Hands out the slots of one region of the upstream-state buffer: one slot per key (an upstream
// name, or an upstream and target origin) for as long as the key is in use. A key that comes back
// while it still holds its slot keeps it, with its state (a target re-added by DNS keeps its
// health). A slot that is given to a new key gets a new epoch (see shm/upstream-state-layout.ts);
// never-used slots go first, then released ones in the order they were released, so a slot is
// reused as late as possible.
export interface SlotRef {
  slot: number;
  epoch: number;
}

export class SlotAllocator {
  private readonly byKey = new Map<string, SlotRef>();
  private readonly released: number[] = [];
  private readonly epochs: Int32Array;
  private unused = 0;

  /** `reset` prepares a slot's words for a new owner (it writes the epoch last). */
  constructor(private readonly capacity: number, private readonly reset: (slot: number, epoch: number) => void) {
    this.epochs = new Int32Array(capacity);
  }

  /** The key's slot, assigned now if it has none; null when every slot is taken. */
  assign(key: string): SlotRef | null {
    const held = this.byKey.get(key);
    if (held !== undefined) return held;
    let slot: number;
    if (this.unused < this.capacity) slot = this.unused++;
    else if (this.released.length > 0) slot = this.released.shift()!;
    else return null;
    // Epoch 0 never names a live owner: a zeroed slot matches nobody.
    const epoch = (this.epochs[slot]! % 0x7fffffff) + 1;
    this.epochs[slot] = epoch;
    this.reset(slot, epoch);
    const ref = { slot, epoch };
    this.byKey.set(key, ref);
    return ref;
  }

  /** Releases every key not in `inUse`. */
  keepOnly(inUse: ReadonlySet<string>): void {
    for (const [key, ref] of this.byKey) {
      if (inUse.has(key)) continue;
      this.byKey.delete(key);
      this.released.push(ref.slot);
    }
  }
}
