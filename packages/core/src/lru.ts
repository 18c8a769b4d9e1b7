interface Item<V> {
  value: V
  size: number
  /** `performance.now()` from which the item is gone. */
  expires: number
}

/** Why an item left: a `delete`, a `set` of its key, its ttl, or the byte bound. */
export type DropReason = 'deleted' | 'replaced' | 'expired' | 'evicted'

/**
 * A least-recently-used map bounded in bytes, with a ttl per item: the L1 and the memory store.
 * A Map keeps insertion order, so moving an item to the end on every read makes the first key the
 * least recently used; an expired item is dropped when it is read or reaches the cold end (no timers).
 */
export class ByteLru<V> {
  private readonly items = new Map<string, Item<V>>()
  private readonly maxBytes: number
  private readonly dropped: ((key: string, value: V, reason: DropReason) => void) | undefined
  private bytes = 0

  /** `dropped` hears of every item that leaves other than by `clear()`, and why. */
  constructor(maxBytes: number, dropped?: (key: string, value: V, reason: DropReason) => void) {
    this.maxBytes = maxBytes
    this.dropped = dropped
  }

  get(key: string): V | undefined {
    const item = this.items.get(key)
    if (!item) return undefined
    this.items.delete(key)
    if (performance.now() >= item.expires) {
      this.bytes -= item.size
      this.dropped?.(key, item.value, 'expired')
      return undefined
    }
    this.items.set(key, item)
    return item.value
  }

  /** The value, expired or not, without touching its place in the LRU. */
  peek(key: string): V | undefined {
    return this.items.get(key)?.value
  }

  /**
   * Stores `value` for `ttlMs`; an item larger than the whole bound, or with no time to live, is not
   * stored (and the old one is gone). Returns whether it was stored.
   */
  set(key: string, value: V, size: number, ttlMs: number): boolean {
    this.delete(key, 'replaced')
    if (size > this.maxBytes || !(ttlMs > 0)) return false
    this.items.set(key, { value, size, expires: performance.now() + ttlMs })
    this.bytes += size
    for (const oldest of this.items.keys()) {
      if (this.bytes <= this.maxBytes) break
      this.delete(oldest, 'evicted')
    }
    return true
  }

  delete(key: string, reason: DropReason = 'deleted'): void {
    const item = this.items.get(key)
    if (!item) return
    this.items.delete(key)
    this.bytes -= item.size
    this.dropped?.(key, item.value, reason)
  }

  clear(): void {
    this.items.clear()
    this.bytes = 0
  }
}
