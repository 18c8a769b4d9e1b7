// What tags and dependencies cost on real Valkey, asserted as counts: a hit is still one command, a
// dependents set lives as long as its longest-lived member, and removal needs Valkey.
import { freePort } from '@valkey-s3-cache/testkit'
import { Redis } from 'iovalkey'
import { describe, expect, it } from 'vitest'
import { CacheWriteError, createS3Cache } from '../src'
import { keysOf, sweepIndexOf, Targets, tagKeys } from '../src/keys'
import { MEMBER_MARGIN_MS } from '../src/store/store'
import { ValkeyStore } from '../src/store/valkey'
import { putRaw, sleep, uniqueKey } from './support/harness'
import { commandCount, useServers } from './support/servers'

const servers = useServers()

describe('tags and dependencies on real Valkey', () => {
  it('a hit on a tagged value, and on a value built from two objects, is one GET', async () => {
    const { cache } = servers.cacheOnOwnClient()
    const [a, b] = [uniqueKey('dep-a'), uniqueKey('dep-b')]
    await putRaw(servers.s3, a, '{"a":1}')
    await putRaw(servers.s3, b, '{"b":1}')
    const tagged = uniqueKey('tagged')
    const built = uniqueKey('built')
    const readTagged = () => cache.wrap(tagged, () => ({ t: 1 }), { tags: ['one', 'two', 'three'] })
    const readBuilt = () =>
      cache.wrap(built, async ({ cache: reads }) => ({
        a: await reads.getJson(a),
        b: await reads.getJson(b),
      }))
    await readTagged()
    await readBuilt()
    for (const read of [readTagged, readBuilt]) {
      const before = await commandCount(servers.admin)
      await read()
      // INFO commandstats counts the admin's own INFO too: one GET is the only other command.
      expect((await commandCount(servers.admin)) - before).toBe(1)
    }
  })

  it('a dependents set has no TTL, so volatile eviction never takes it, and is listed for the sweep until its last member expires', async () => {
    const { cache } = servers.cacheOnOwnClient()
    const tag = uniqueKey('ttl-tag')
    const [short, long] = [uniqueKey('short'), uniqueKey('long')]
    await cache.wrap(short, () => 1, { tags: [tag], ttl: '10s' })
    await cache.wrap(long, () => 2, { tags: [tag], ttl: '1h' })
    const set = tagKeys('s3c:', tag).members
    const entry = new Targets('s3c:').wrap(long).keys.entry
    expect(await servers.admin.zcard(set)).toBe(2)
    expect(await servers.admin.pttl(set)).toBe(-1)
    const listedUntil = Number(await servers.admin.zscore(sweepIndexOf(set), set))
    const entryUntil = Date.now() + (await servers.admin.pttl(entry))
    expect(listedUntil).toBeGreaterThanOrEqual(entryUntil)
    expect(listedUntil).toBeLessThanOrEqual(entryUntil + MEMBER_MARGIN_MS + 1000)
  })

  it('a sweep removes the sets whose members all expired, and only those', async () => {
    const client = new Redis(servers.valkey.options())
    try {
      const store = new ValkeyStore(client, { whenReady: async () => {}, timeoutMs: 1000 })
      const prefix = `${uniqueKey('sweep').replace(/[^\w-]/g, '')}:`
      const [dead, alive] = [keysOf(`${prefix}{AAAA}`).dependents, keysOf(`${prefix}{AAAB}`).dependents]
      expect(sweepIndexOf(dead)).toBe(sweepIndexOf(alive))
      await store.enlist(dead, 'member-a', 30, 10)
      await store.enlist(alive, 'member-b', 30, 10)
      await store.enlist(alive, 'member-c', 60_000, 10)
      await sleep(60)
      expect(await store.sweepSets(sweepIndexOf(dead), 10)).toBe(1)
      expect(await servers.admin.exists(dead)).toBe(0)
      // Not due yet (its latest member lives on): left for the next enlisting to prune.
      expect(await servers.admin.zcard(alive)).toBe(2)
      expect(await servers.admin.zrange(sweepIndexOf(dead), 0, -1)).toEqual([alive])
    } finally {
      client.disconnect()
    }
  })

  it('invalidateTags rejects with CacheWriteError when Valkey is unreachable', async () => {
    const port = await freePort()
    const cache = createS3Cache({
      s3: servers.s3.newClient(),
      bucket: servers.bucket,
      valkey: `redis://127.0.0.1:${port}`,
      onEvent: () => {},
    })
    try {
      await expect(cache.invalidateTags(['any'])).rejects.toBeInstanceOf(CacheWriteError)
    } finally {
      await cache.close()
    }
  })
})
