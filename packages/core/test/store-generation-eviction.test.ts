import { Redis } from 'iovalkey'
import { afterAll, describe, expect, it } from 'vitest'
import { EntryKind, encodeEntry, encodeTimes } from '../src/entry'
import { type EntryKeys, entryKeys, tagLogKey } from '../src/keys'
import { MemoryStore } from '../src/store/memory'
import type { Store } from '../src/store/store'
import { ValkeyStore } from '../src/store/valkey'
import { uniqueKey } from './support/harness'
import { useServers } from './support/servers'

/** The tag log a load reads when it begins (the default keyPrefix's). */
const TAG_LOG = tagLogKey('s3c:')

const value = (text: string) => {
  const now = Date.now()
  const data = {
    kind: EntryKind.object,
    body: Buffer.from(text),
    freshUntil: now + 60_000,
    staleUntil: now + 120_000,
  }
  // The store never decodes what it holds: any key will do.
  return encodeEntry(data, false, 'generation-eviction').value
}

describe('the generation counter evicted during a load, on real Valkey (DEL of the gen key stands in for eviction)', () => {
  const servers = useServers()
  const clients: Redis[] = []
  afterAll(() => {
    for (const client of clients) client.disconnect()
  })
  const setup = () => {
    const client = new Redis(servers.valkey.options())
    clients.push(client)
    return {
      store: new ValkeyStore(client, { whenReady: async () => {}, timeoutMs: 250 }),
      keys: entryKeys('s3c:', 'o', servers.bucket, uniqueKey('evicted')),
    }
  }

  it('refuses a commit when the counter was bumped by an invalidation and then evicted (no stale set)', async () => {
    const { store, keys } = setup()
    const ticket = await store.begin(keys, 'loader', 5000, TAG_LOG) // the object was never invalidated: no counter yet
    await store.purge(keys) // S3 changed: the counter moves past what the load saw
    await servers.admin.del(keys.generation) // evicted before the load commits
    expect(await store.commit(keys, ticket.generation, 'loader', value('older body'), 60_000)).toBe(false)
    expect(await servers.admin.getBuffer(keys.entry)).toBeNull()
    expect(await servers.admin.exists(keys.lease)).toBe(0) // the lease is released all the same
  })

  it('refuses a commit or a 304 refresh when the counter is gone, and a reload after it succeeds', async () => {
    const { store, keys } = setup()
    const body = value('body')
    const first = await store.begin(keys, '', 0, TAG_LOG)
    expect(await store.commit(keys, first.generation, '', body, 60_000)).toBe(true)
    await servers.admin.del(keys.generation)
    expect(await store.commit(keys, first.generation, '', value('other'), 60_000)).toBe(false)
    const times = encodeTimes(Date.now() + 600_000, Date.now() + 900_000)
    expect(await store.touch(keys, first.generation, '', body.readUInt32BE(20), times, 600_000)).toBe(false)
    expect(await servers.admin.getBuffer(keys.entry)).toEqual(body)
    const again = await store.begin(keys, '', 0, TAG_LOG)
    expect(again.generation).not.toBe(first.generation)
    expect(await servers.admin.pttl(keys.generation)).toBeGreaterThan(23 * 3_600_000)
    expect(await store.commit(keys, again.generation, '', value('reloaded'), 60_000)).toBe(true)
  })

  it('never hands out a generation it handed out before the counter was evicted', async () => {
    const { store, keys } = setup()
    const seen = new Set<string>()
    for (let i = 0; i < 20; i++) {
      const { generation } = await store.begin(keys, '', 0, TAG_LOG)
      expect(seen.has(generation)).toBe(false)
      seen.add(generation)
      await store.purge(keys)
      await servers.admin.del(keys.generation)
    }
  })
})

describe('the generation counter evicted by the memory store (LRU)', () => {
  /** Writes other objects until the memory store's LRU drops `keys`' counter. */
  const evict = async (store: Store, keys: EntryKeys) => {
    for (let i = 0; i < 40; i++) {
      const filler = entryKeys('s3c:', 'o', 'b', `filler-${i}`)
      await store.replace(filler, await store.generation(filler), value('x'.repeat(200)), 60_000)
    }
    expect(await store.get(keys.generation)).toBeNull()
  }

  it('refuses a commit when the counter was bumped by an invalidation and then evicted (no stale set)', async () => {
    const store = new MemoryStore(4096)
    const keys = entryKeys('s3c:', 'o', 'b', uniqueKey('lru'))
    const ticket = await store.begin(keys, 'loader', 5000, TAG_LOG)
    await store.purge(keys)
    await evict(store, keys)
    expect(await store.commit(keys, ticket.generation, 'loader', value('older body'), 60_000)).toBe(false)
    expect(await store.get(keys.entry)).toBeNull()
  })

  it('a dependents set the bound pushes out takes its members with it, so no removal can miss them', async () => {
    const store = new MemoryStore(4096)
    const keys = entryKeys('s3c:', 'w', '', uniqueKey('member'))
    const ticket = await store.begin(keys, '', 0, TAG_LOG)
    expect(await store.commit(keys, ticket.generation, '', value('built from a tag'), 60_000)).toBe(true)
    const set = entryKeys('s3c:', 't', '', 'the tag').dependents
    expect(await store.enlist(set, keys.entry, 60_000, 10)).toBe(true)
    for (let i = 0; i < 60; i++) await store.enlist(`${set}-${i}`, `other-${i}`, 60_000, 10)
    expect(await store.take(set)).toEqual([])
    expect(await store.get(keys.entry)).toBeNull()
  })
})
