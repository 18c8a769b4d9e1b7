interface Item<V> {
  value: V
  size: number
  /** `performance.now()` from which the item is gone. */
  expires: number
}

/**
 * A least-recently-used map bounded in bytes, with a ttl per item: the L1 and the memory store.
 * A Map keeps insertion order, so moving an item to the end on every read makes the first key the
 * least recently used; an expired item is dropped when it is read or reaches the cold end (no timers).
 */
export class ByteLru<V> {
  private readonly items = new Map<string, Item<V>>()
  private readonly maxBytes: number
  private bytes = 0

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes
  }

  get(key: string): V | undefined {
    const item = this.items.get(key)
    if (!item) return undefined
    this.items.delete(key)
    if (performance.now() >= item.expires) {
      this.bytes -= item.size
      return undefined
    }
    this.items.set(key, item)
    return item.value
  }

  /** Stores `value` for `ttlMs`; an item larger than the whole bound is not stored (and the old one is gone). */
  set(key: string, value: V, size: number, ttlMs: number): void {
    this.delete(key)
    if (size > this.maxBytes || !(ttlMs > 0)) return
    this.items.set(key, { value, size, expires: performance.now() + ttlMs })
    this.bytes += size
    for (const [oldest, item] of this.items) {
      if (this.bytes <= this.maxBytes) break
      this.items.delete(oldest)
      this.bytes -= item.size
    }
  }

  delete(key: string): void {
    const item = this.items.get(key)
    if (!item) return
    this.items.delete(key)
    this.bytes -= item.size
  }

  /** The keys held (expired ones included), as a copy: safe to delete while iterating. */
  keys(): string[] {
    return [...this.items.keys()]
  }

  clear(): void {
    this.items.clear()
    this.bytes = 0
  }
}
