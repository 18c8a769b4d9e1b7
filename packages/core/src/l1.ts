import { LRUCache } from 'lru-cache'
import type { Entry } from './entry'

/** Bytes counted per L1 item beyond its body (keys, header fields, object overhead). */
const ITEM_OVERHEAD_BYTES = 256

/**
 * The optional in-process layer: a byte-bounded LRU of decoded entries. An item lives
 * for `l1.ttl` at most and never past its entry's fresh time, so other processes'
 * `put`/`invalidate` are seen within `l1.ttl`.
 */
export class L1Cache {
  private readonly lru: LRUCache<string, Entry>
  private readonly ttlMs: number

  constructor(maxBytes: number, ttlMs: number) {
    this.ttlMs = ttlMs
    this.lru = new LRUCache<string, Entry>({
      maxSize: maxBytes,
      sizeCalculation: (entry, id) => entry.body.byteLength + id.length + ITEM_OVERHEAD_BYTES,
    })
  }

  get(id: string): Entry | undefined {
    return this.lru.get(id)
  }

  set(id: string, entry: Entry): void {
    const ttl = Math.min(this.ttlMs, entry.freshUntil - Date.now())
    if (ttl < 1 || entry.body.byteLength + ITEM_OVERHEAD_BYTES > this.lru.maxSize) return
    this.lru.set(id, entry, { ttl: Math.floor(ttl) })
  }

  delete(id: string): void {
    this.lru.delete(id)
  }

  clear(): void {
    this.lru.clear()
  }
}
