import type { Entry } from './entry'
import type { CacheTarget } from './keys'
import { ByteLru } from './lru'

/** Bytes counted per L1 item beyond its body (keys, header fields, object overhead). */
const ITEM_OVERHEAD_BYTES = 256

/** An L1 item: the decoded entry, and its Valkey key (a removal by tag or dependency names those). */
interface Item {
  entry: Entry
  entryKey: string
}

/**
 * The optional in-process layer: a byte-bounded LRU of decoded entries, by L1 id. An item lives
 * for `l1.ttl` at most and never past its entry's fresh time, so other processes'
 * `put`/`invalidate` are seen within `l1.ttl`.
 */
export class L1Cache {
  private readonly lru: ByteLru<Item>
  private readonly ttlMs: number
  /** Each item's L1 id by its Valkey entry key, so a removal finds what it names without a scan. */
  private readonly idsByEntryKey = new Map<string, string>()

  constructor(maxBytes: number, ttlMs: number) {
    this.ttlMs = ttlMs
    this.lru = new ByteLru(maxBytes, (id, item) => {
      if (this.idsByEntryKey.get(item.entryKey) === id) this.idsByEntryKey.delete(item.entryKey)
    })
  }

  get(id: string): Entry | undefined {
    return this.lru.get(id)?.entry
  }

  set(target: CacheTarget, entry: Entry): void {
    // An entry with less than a millisecond of freshness left gets ttl 0: not stored (and the old one gone).
    const ttl = Math.floor(Math.min(this.ttlMs, entry.freshUntil - Date.now()))
    const { id } = target
    const entryKey = target.keys.entry
    const size = entry.body.byteLength + id.length + ITEM_OVERHEAD_BYTES
    if (this.lru.set(id, { entry, entryKey }, size, ttl)) this.idsByEntryKey.set(entryKey, id)
  }

  delete(id: string): void {
    this.lru.delete(id)
  }

  /** Drops the items stored under these Valkey entry keys (what a removal by tag or dependency names). */
  forgetEntries(entryKeys: Iterable<string>): void {
    for (const entryKey of entryKeys) {
      const id = this.idsByEntryKey.get(entryKey)
      if (id !== undefined) this.lru.delete(id)
    }
  }

  clear(): void {
    this.lru.clear()
    this.idsByEntryKey.clear()
  }
}
