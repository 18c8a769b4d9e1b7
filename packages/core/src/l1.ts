import type { Entry } from './entry'
import type { CacheTarget } from './keys'
import { ByteLru } from './lru'

/**
 * Heap bytes counted per L1 item beyond its body: the decoded entry and its header strings, and the
 * LRU's and the index's records, the body's Buffer object (measured: 1.5–1.6 KB per item).
 */
const ITEM_OVERHEAD_BYTES = 2048

/**
 * Bytes counted per body byte for the value `shareParsed` keeps with an item: a parsed JSON value takes
 * a few times its text in V8's heap (measured 2.3–2.7× for 6 KB and 50 KB documents of objects).
 */
const SHARED_VALUE_BYTES_PER_BODY_BYTE = 3

/**
 * The body itself when it owns its memory, else a copy that does. Bodies arrive as views into larger
 * buffers (a socket read, or Node's shared allocation pool that decompression and `Buffer.from` draw
 * on), and a view held by L1 keeps the whole buffer alive, with every dropped neighbour in it.
 */
function ownBytes(body: Uint8Array): Uint8Array {
  if (body.byteOffset === 0 && body.byteLength === body.buffer.byteLength) return body
  const own = Buffer.allocUnsafeSlow(body.byteLength)
  own.set(body)
  return own
}

/** An L1 item: the decoded entry, its Valkey key, and what a removal of which takes it down too. */
interface Item {
  entry: Entry
  entryKey: string
  links: readonly string[]
}

/**
 * The optional in-process layer: a byte-bounded LRU of decoded entries, by L1 id. An item lives
 * for `l1.ttl` at most and never past its entry's fresh time, so other processes'
 * `put`/`invalidate` are seen within `l1.ttl`.
 *
 * Each item is indexed by its Valkey entry key and by its links: the entry keys it was built from and
 * its tags' set keys (`linksOf`). A removal of an entry or a tag in this process takes down every item
 * that names it, transitively, whatever Valkey still knows of the link (another process's removal may
 * have taken the set already): read-your-writes holds for values built from what this process changed.
 */
export class L1Cache {
  private readonly lru: ByteLru<Item>
  private readonly ttlMs: number
  private readonly linksOf: (entry: Entry) => readonly string[]
  /** Bytes counted per body byte: the body, and the value `shareParsed` keeps beside it. */
  private readonly bytesPerBodyByte: number
  /** The ids of the items stored under, or linked to, each entry key or tag set key. */
  private readonly idsByKey = new Map<string, Set<string>>()

  constructor(
    maxBytes: number,
    ttlMs: number,
    linksOf: (entry: Entry) => readonly string[] = () => [],
    /** Whether readers keep one parsed value per entry (`shareParsed`), which then counts too. */
    sharesParsed = false,
  ) {
    this.ttlMs = ttlMs
    this.linksOf = linksOf
    this.bytesPerBodyByte = sharesParsed ? 1 + SHARED_VALUE_BYTES_PER_BODY_BYTE : 1
    this.lru = new ByteLru(maxBytes, (id, item) => {
      this.unindex(item.entryKey, id)
      for (const link of item.links) this.unindex(link, id)
    })
  }

  private index(key: string, id: string): void {
    let ids = this.idsByKey.get(key)
    if (!ids) {
      ids = new Set()
      this.idsByKey.set(key, ids)
    }
    ids.add(id)
  }

  private unindex(key: string, id: string): void {
    const ids = this.idsByKey.get(key)
    if (ids?.delete(id) && ids.size === 0) this.idsByKey.delete(key)
  }

  get(id: string): Entry | undefined {
    return this.lru.get(id)?.entry
  }

  /** Stores `entry`, read by a read that began at `readAt` (ms): it lives `l1.ttl` from then, at most. */
  set(target: CacheTarget, entry: Entry, readAt: number): void {
    // An entry with less than a millisecond of freshness left gets ttl 0: not stored (and the old one gone).
    const ttl = Math.floor(Math.min(readAt + this.ttlMs, entry.freshUntil) - Date.now())
    const { id } = target
    const entryKey = target.keys.entry
    const links = this.linksOf(entry)
    const size = entry.body.byteLength * this.bytesPerBodyByte + id.length + ITEM_OVERHEAD_BYTES
    if (!this.lru.set(id, { entry, entryKey, links }, size, ttl)) return
    // The same entry object (its readers' shared value stays keyed by it), on memory of its own.
    entry.body = ownBytes(entry.body)
    this.index(entryKey, id)
    for (const link of links) this.index(link, id)
  }

  delete(id: string): void {
    this.lru.delete(id)
  }

  /**
   * Drops the items stored under these Valkey entry keys or linked to them (built from them, or tagged
   * with a tag whose set key is given), and, the same way, the items built from those.
   */
  forget(keys: Iterable<string>): void {
    const todo = [...keys]
    const seen = new Set(todo)
    for (let key = todo.pop(); key !== undefined; key = todo.pop()) {
      const ids = this.idsByKey.get(key)
      if (!ids) continue
      for (const id of [...ids]) {
        const item = this.lru.peek(id)
        this.lru.delete(id)
        if (item && !seen.has(item.entryKey)) {
          seen.add(item.entryKey)
          todo.push(item.entryKey)
        }
      }
    }
  }

  clear(): void {
    this.lru.clear()
    this.idsByKey.clear()
  }
}
