// What L1 holds against what it counts, on real Valkey and S3: `l1.maxBytes` bounds the memory the
// process keeps for it, whatever buffers the bodies arrive in and whether parsed values are shared.
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { describe, expect, it } from 'vitest'
import { entryKeys } from '../src/keys'
import { uniqueKey } from './support/harness'
import { useServers } from './support/servers'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

const MAX_BYTES = 6 * 1024 * 1024
/** More objects than L1 holds, so it runs at its bound. */
const OBJECTS = 1600

/** A compressible JSON document of about 6 KB (stored deflated), different for each `n`. */
function document(n: number): string {
  const items = Array.from({ length: 120 }, (_, i) => ({
    id: `${n}-${i}`,
    name: `item ${i} of ${n}`,
    price: i * 1.25,
  }))
  return JSON.stringify({ n, items })
}

/** Heap and ArrayBuffer bytes in use after full collections (ArrayBuffers are freed by a sweeper). */
async function settledBytes(): Promise<{ heap: number; buffers: number }> {
  for (let i = 0; i < 3; i++) {
    gc()
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  const { heapUsed, arrayBuffers } = process.memoryUsage()
  return { heap: heapUsed, buffers: arrayBuffers }
}

describe('L1 keeps within l1.maxBytes what it holds (real Valkey, decompressed bodies)', () => {
  const servers = useServers()
  const prefix = uniqueKey('l1-memory')
  const keys = Array.from({ length: OBJECTS }, (_, n) => `${prefix}/${n}.json`)

  it('seeds the objects (S3 and Valkey, deflated)', async () => {
    const { cache } = servers.cacheOnOwnClient({ keyPrefix: 'l1mem:', ttl: '1h' })
    for (let n = 0; n < OBJECTS; n += 50) {
      await Promise.all(keys.slice(n, n + 50).map((key, i) => cache.put(key, document(n + i))))
    }
    const stored = await servers.admin.getBuffer(
      entryKeys('l1mem:', 'o', servers.bucket, keys[0] as string).entry,
    )
    expect(stored?.byteLength).toBeLessThan(document(0).length / 2)
  })

  // `get` hands each caller a copy: copies and L1's bodies come from the same allocations, so an L1
  // body that is a view into a shared buffer keeps every dropped copy next to it alive too.
  it('get: heap and buffers held once L1 is full stay within maxBytes', async () => {
    const { cache } = servers.cacheOnOwnClient({
      keyPrefix: 'l1mem:',
      ttl: '1h',
      l1: { maxBytes: MAX_BYTES, ttl: '1h' },
    })
    await cache.get(keys[0] as string)
    const before = await settledBytes()
    for (const key of keys) expect((await cache.get(key)).status).toBe('hit')
    const after = await settledBytes()
    expect(after.heap - before.heap + (after.buffers - before.buffers)).toBeLessThanOrEqual(MAX_BYTES)
    await cache.close()
  })

  // With shareParsed, an item also keeps its parsed value (a few times its text in the heap).
  it('getJson with shareParsed: heap and buffers held once L1 is full stay within maxBytes', async () => {
    const { cache } = servers.cacheOnOwnClient({
      keyPrefix: 'l1mem:',
      ttl: '1h',
      l1: { maxBytes: MAX_BYTES, ttl: '1h' },
      shareParsed: true,
    })
    await cache.getJson(keys[0] as string)
    const before = await settledBytes()
    for (const key of keys) await cache.getJson(key)
    const after = await settledBytes()
    expect(after.heap - before.heap + (after.buffers - before.buffers)).toBeLessThanOrEqual(MAX_BYTES)
    await cache.close()
  })
})
