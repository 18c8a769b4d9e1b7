import { describe, expect, it } from 'vitest'
import { entryKeys } from '../src/keys'
import { putRaw, uniqueKey } from './support/harness'
import { useServers } from './support/servers'

describe('invalidate with S3 sequencers of different lengths, on a cache with a real Valkey URL', () => {
  const servers = useServers()

  it('applies a shorter sequencer after a longer one (and back), records it, and ignores same-length older or duplicate ones', async () => {
    const { cache, getObjectCalls } = servers.cacheOnOwnClient({ valkey: servers.valkey.url })
    const key = uniqueKey('seqlen')
    const keys = entryKeys('s3c:', 'o', servers.bucket, key)
    await putRaw(servers.s3, key, '{"v":1}')
    await cache.get(key)
    // S3 notifications carry 18 digits, EventBridge events 16 (EventBridge 617f08299329d189 is
    // notification 00617F08299329D189): zero-padding on the right would call the shorter one newer.
    expect(await cache.invalidate(key, { sequencer: '00617F08299329D18A' })).toBe(true)
    expect(await servers.admin.exists(keys.entry)).toBe(0)
    await cache.get(key)
    expect(await cache.invalidate(key, { sequencer: '617F08299329D189' })).toBe(true)
    expect(await servers.admin.exists(keys.entry)).toBe(0)
    expect(await servers.admin.get(keys.sequencer)).toBe('617F08299329D189')
    await cache.get(key)
    expect(await cache.invalidate(key, { sequencer: '617F08299329D189' })).toBe(false)
    expect(await cache.invalidate(key, { sequencer: '617F08299329D100' })).toBe(false)
    expect(await servers.admin.exists(keys.entry)).toBe(1)
    expect(await servers.admin.get(keys.sequencer)).toBe('617F08299329D189')
    expect(await cache.invalidate(key, { sequencer: '617F08299329D18A' })).toBe(true)
    expect(await servers.admin.get(keys.sequencer)).toBe('617F08299329D18A')
    expect(getObjectCalls()).toBe(3)
  })
})
