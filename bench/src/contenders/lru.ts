import { LRUCache } from 'lru-cache'
import type { Endpoints } from '../env'
import { makeOrigin } from './origin'
import type { Contender } from './types'

/**
 * The L1 floor: a bare lru-cache lookup. With `parse`, it keeps the JSON text and parses it
 * per read (a fresh object each time, as core's and bentocache's L1 return); without, it
 * returns the same stored object every time.
 */
export function createLru(endpoints: Endpoints, options: { name: string; parse: boolean }): Contender {
  const origin = makeOrigin(endpoints)
  const lru = new LRUCache<string, { text: string; value: unknown }>({
    maxSize: 16 * 1024 * 1024,
    sizeCalculation: (item) => item.text.length,
    ttl: 3_600_000,
  })
  return {
    name: options.name,
    async read(key) {
      const item = lru.get(key)
      if (item) return options.parse ? JSON.parse(item.text) : item.value
      const text = await origin.loadText(key)
      const value = JSON.parse(text)
      lru.set(key, { text, value })
      return value
    },
    originCalls: origin.calls,
    async close() {
      lru.clear()
      origin.close()
    },
  }
}
