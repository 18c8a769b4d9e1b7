// Errors that point at the fix: what a caller (often plain JavaScript) gets wrong is refused with a typed
// error that names it, on real Valkey and S3.
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { CacheConfigError, SchemaValidationError } from '../src'
import { putRaw, uniqueKey } from './support/harness'
import { useServers } from './support/servers'

const servers = useServers()

describe('errors that point at the fix (real Valkey and S3)', () => {
  it('SchemaValidationError names the path of each issue', async () => {
    const { cache } = servers.cacheOnOwnClient()
    const key = uniqueKey('bad-shape')
    await putRaw(servers.s3, key, JSON.stringify({ user: { name: 7 }, items: [{ id: 1 }, { id: 'x' }] }))
    const schema = z.object({
      user: z.object({ name: z.string() }),
      items: z.array(z.object({ id: z.number() })),
    })
    const error = await cache.getJson(key, schema).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SchemaValidationError)
    expect((error as Error).message).toMatch(/does not match the schema: .*user\.name: /)
    expect((error as Error).message).toMatch(/items\[1\]\.id: /)
  })

  it('a body that is not JSON says so, not that it does not match a schema', async () => {
    const { cache } = servers.cacheOnOwnClient()
    const key = uniqueKey('not-json')
    await putRaw(servers.s3, key, 'plain text')
    const error = await cache.getJson(key).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SchemaValidationError)
    expect((error as Error).message).toMatch(/is not JSON: /)
    expect((error as Error).message).not.toMatch(/schema/)
  })

  it('a call with an option of a name it does not know is refused, naming it (JavaScript callers get no type error)', async () => {
    const { cache } = servers.cacheOnOwnClient()
    const key = uniqueKey('misspelt')
    await putRaw(servers.s3, key, '{"v":1}')
    const refused = async (call: () => Promise<unknown>, option: string) => {
      const error = await call().catch((e: unknown) => e)
      expect(error).toBeInstanceOf(CacheConfigError)
      expect(error).toMatchObject({ option })
    }
    const loose = (options: object) => options as never
    await refused(() => cache.get(key, loose({ ttll: '1m' })), 'ttll')
    await refused(() => cache.getText(key, loose({ buckett: 'b' })), 'buckett')
    await refused(() => cache.getJson(key, undefined, loose({ forceRefres: true })), 'forceRefres')
    await refused(() => cache.wrap(key, () => 1, loose({ ttll: '1m' })), 'ttll')
    await refused(() => cache.put(key, '{}', loose({ contentTyp: 'application/json' })), 'contentTyp')
    await refused(() => cache.invalidate(key, loose({ sequence: '01' })), 'sequence')
    // Nothing was written by a refused put: S3 still holds the first body.
    expect(await cache.getJson(key, undefined, { forceRefresh: true })).toEqual({ v: 1 })
    // The same options object twice is checked once, and known names pass.
    const options = { ttl: '1m' as const }
    await cache.get(key, options)
    await cache.get(key, options)
  })

  it("getJson's second argument is the schema: options there get an error saying where they go", async () => {
    const { cache } = servers.cacheOnOwnClient()
    const key = uniqueKey('options-for-schema')
    await putRaw(servers.s3, key, '{"v":1}')
    const error = await cache.getJson(key, { ttl: '1m' } as never).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CacheConfigError)
    expect((error as Error).message).toMatch(/schema second.*getJson\(key, undefined, \{ ttl \}\)/)
  })
})
