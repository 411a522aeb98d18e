// The supervisor's side of quotas: the shared table (src/shm/quota-table.ts), a slot per
// consumer whose plan has a quota (kept for the process's life, so a reload keeps the counts),
// seeded from the usage env at first use and stored with every usage flush (usage-store.ts).
import type { GatewayConfig } from '../config/types.js';
import { QUOTA_CAPACITY, QuotaTable } from '../shm/quota-table.js';
import type { GenerationQuotas } from '../worker/messages.js';
import type { QuotaWord, UsageStore } from './usage-store.js';

export class QuotaService {
  private readonly table = QuotaTable.create();
  private readonly slots = new Map<string, number>();

  constructor(private readonly store: UsageStore) {
    store.setQuotaSnapshot(() => this.snapshot());
  }

  /**
   * The slots a generation of `config` uses. A consumer seen before keeps its slot; a new one gets
   * the next, seeded with its stored word (a period that has ended counts as 0 when next charged).
   * Throws when the table has no room left.
   */
  forConfig(config: GatewayConfig): GenerationQuotas {
    const slots: Record<string, number> = {};
    for (const [consumer, spec] of Object.entries(config.consumers)) {
      if (spec.plan === null || (config.plans[spec.plan]?.quota ?? null) === null) continue;
      let slot = this.slots.get(consumer);
      if (slot === undefined) {
        if (this.slots.size >= QUOTA_CAPACITY) throw new Error(`quotas: more than ${QUOTA_CAPACITY} consumers with a quota since start; restart to drop the removed ones`);
        slot = this.slots.size;
        this.slots.set(consumer, slot);
        const stored = this.store.storedQuota(consumer);
        if (stored !== undefined) this.table.write(slot, stored[0], stored[1]);
      }
      slots[consumer] = slot;
    }
    return { table: this.table.buffer, slots };
  }

  private snapshot(): QuotaWord[] {
    return [...this.slots].map(([consumer, slot]) => [consumer, ...this.table.read(slot)]);
  }
}
