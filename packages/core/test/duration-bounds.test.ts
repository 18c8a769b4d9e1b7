// Every duration has an upper bound checked when it is given: a ttl Valkey cannot take must not be
// accepted, then make every read a `bypass` with an error event.
import { describe, expect, it } from 'vitest'
import { CacheConfigError, type S3CacheOptions } from '../src'
import { MAX_TIMER_MS, MAX_TTL_MS } from '../src/duration'
import { putRaw, uniqueKey } from './support/harness'
import { useServers } from './support/servers'

const servers = useServers()

describe('duration bounds, on real Valkey', () => {
  const tooLong: [string, Partial<S3CacheOptions>][] = [
    ['ttl', { ttl: 1e16 }],
    ['staleTtl', { staleTtl: MAX_TTL_MS + 1 }],
    ['negativeTtl', { negativeTtl: '400d' }],
    ['l1.ttl', { l1: { ttl: 1e16 } }],
    ['lock.ttl', { lock: { ttl: '400d' } }],
    ['lock.wait', { lock: { wait: MAX_TIMER_MS + 1 } }],
    ['timeouts.valkey', { timeouts: { valkey: '30d' } }],
    ['timeouts.s3', { timeouts: { s3: MAX_TIMER_MS + 1 } }],
    ['timeouts.revalidate', { timeouts: { revalidate: '30d' } }],
  ]
  for (const [option, override] of tooLong) {
    it(`refuses a ${option} beyond its bound at creation, naming it`, () => {
      const create = () => servers.cacheOnOwnClient(override)
      expect(create).toThrow(CacheConfigError)
      expect(create).toThrow(`"${option}"`)
    })
  }

  it('takes the bounds themselves, and stores an entry with the longest ttl', async () => {
    const { cache, events } = servers.cacheOnOwnClient({ ttl: MAX_TTL_MS, staleTtl: MAX_TTL_MS })
    const key = uniqueKey('longest')
    await putRaw(servers.s3, key, '{"v":1}')
    expect((await cache.get(key)).status).toBe('miss')
    expect((await cache.get(key)).status).toBe('hit')
    expect(events.filter((event) => event.type === 'error')).toEqual([])
  })

  it("refuses a call's ttl beyond the bound with CacheConfigError, before reading", async () => {
    const { cache } = servers.cacheOnOwnClient()
    const key = uniqueKey('per-call')
    await putRaw(servers.s3, key, '{"v":1}')
    await expect(cache.get(key, { ttl: 1e16 })).rejects.toBeInstanceOf(CacheConfigError)
    await expect(cache.wrap(key, () => 1, { staleTtl: '400d' })).rejects.toBeInstanceOf(CacheConfigError)
    await expect(cache.put(key, '{}', { ttl: 1e16 })).rejects.toBeInstanceOf(CacheConfigError)
    await expect(
      cache.wrap(uniqueKey('set-ttl'), ({ setTtl }) => {
        setTtl(1e16)
        return 1
      }),
    ).rejects.toBeInstanceOf(CacheConfigError)
  })
})
