import type { Entry } from './entry'
import { ByteLru } from './lru'

/** Bytes counted per L1 item beyond its body (keys, header fields, object overhead). */
const ITEM_OVERHEAD_BYTES = 256

/**
 * The optional in-process layer: a byte-bounded LRU of decoded entries. An item lives
 * for `l1.ttl` at most and never past its entry's fresh time, so other processes'
 * `put`/`invalidate` are seen within `l1.ttl`.
 */
export class L1Cache {
  private readonly lru: ByteLru<Entry>
  private readonly ttlMs: number

  constructor(maxBytes: number, ttlMs: number) {
    this.ttlMs = ttlMs
    this.lru = new ByteLru(maxBytes)
  }

  get(id: string): Entry | undefined {
    return this.lru.get(id)
  }

  set(id: string, entry: Entry): void {
    // An entry with less than a millisecond of freshness left gets ttl 0: not stored (and the old one gone).
    const ttl = Math.floor(Math.min(this.ttlMs, entry.freshUntil - Date.now()))
    this.lru.set(id, entry, entry.body.byteLength + id.length + ITEM_OVERHEAD_BYTES, ttl)
  }

  delete(id: string): void {
    this.lru.delete(id)
  }

  /** Drops every item whose id `matches` (a removal by tag or dependency names Valkey keys, not ids). */
  forget(matches: (id: string) => boolean): void {
    for (const id of this.lru.keys()) if (matches(id)) this.lru.delete(id)
  }

  clear(): void {
    this.lru.clear()
  }
}
