import { Redis } from 'iovalkey'
import { afterAll, describe, expect, it } from 'vitest'
import { entryKeys, tagLogKey } from '../src/keys'
import { MemoryStore } from '../src/store/memory'
import type { Store } from '../src/store/store'
import { ValkeyStore } from '../src/store/valkey'
import { uniqueKey } from './support/harness'
import { useServers } from './support/servers'

/** The tag log a load reads when it begins (the default keyPrefix's). */
const TAG_LOG = tagLogKey('s3c:')

// The cache sends a store call once more when its connection dropped under it (GuardedStore), so the
// first BEGIN may have run although its answer was lost: the second must still hand out the lease.
describe('BEGIN sent twice with one token (a retry after a dropped connection)', () => {
  const servers = useServers()
  const clients: Redis[] = []
  afterAll(() => {
    for (const client of clients) client.disconnect()
  })
  const stores: [string, () => Store][] = [
    [
      'real Valkey',
      () => {
        const client = new Redis(servers.valkey.options())
        clients.push(client)
        return new ValkeyStore(client, { whenReady: async () => {}, timeoutMs: 250 })
      },
    ],
    ['memory store', () => new MemoryStore()],
  ]

  it.each(stores)('takes the lease both times, and another token does not (%s)', async (_, make) => {
    const store = make()
    const keys = entryKeys('s3c:', 'o', servers.bucket, uniqueKey('lease-retry'))
    const first = await store.begin(keys, 'token-a', 5000, TAG_LOG)
    const again = await store.begin(keys, 'token-a', 5000, TAG_LOG)
    const other = await store.begin(keys, 'token-b', 5000, TAG_LOG)
    expect([first.leased, again.leased, other.leased]).toEqual([true, true, false])
    expect(again.generation).toBe(first.generation)
  })
})
