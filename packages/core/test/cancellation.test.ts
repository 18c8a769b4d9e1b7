import {
  type S3Server,
  startS3,
  startS3FaultProxy,
  startValkey,
  type ValkeyServer,
} from '@valkey-s3-cache/testkit'
import { Redis } from 'iovalkey'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createS3Cache, type S3Cache, type WrapLoaderContext } from '../src'
import { entryKeys } from '../src/keys'
import { putRaw, sleep, uniqueKey } from './support/harness'

describe('cancellation with AbortSignal, and the wrap loader context (real Valkey and S3)', () => {
  let s3: S3Server
  let valkey: ValkeyServer
  let admin: Redis
  let proxy: Awaited<ReturnType<typeof startS3FaultProxy>>
  const caches: S3Cache[] = []
  beforeAll(async () => {
    s3 = await startS3()
    valkey = await startValkey()
    admin = new Redis(valkey.options())
    proxy = await startS3FaultProxy(s3)
  })
  afterAll(async () => {
    for (const cache of caches) await cache.close()
    admin?.disconnect()
    await proxy?.stop()
    await valkey?.stop()
    await s3?.stop()
  })
  const make = (s3Client = s3.newClient()) => {
    const cache = createS3Cache({ s3: s3Client, bucket: s3.bucket, valkey: valkey.url, jitter: 0 })
    caches.push(cache)
    return cache
  }
  /** The object's lease and entry keys in Valkey: both must be absent after an abandoned load. */
  const leftovers = async (namespace: 'o' | 'w', key: string) => {
    const keys = entryKeys('s3c:', namespace, namespace === 'o' ? s3.bucket : '', key)
    return { lease: await admin.exists(keys.lease), entry: await admin.exists(keys.entry) }
  }

  it('an already aborted signal rejects at once with its reason, and reads nothing', async () => {
    const cache = make()
    const key = uniqueKey('pre-aborted')
    await putRaw(s3, key, '{}')
    const reason = new DOMException('gone', 'AbortError')
    await expect(cache.get(key, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason)
    expect(await leftovers('o', key)).toEqual({ lease: 0, entry: 0 })
  })

  it('S3 hanging (S3 fault proxy): the signal rejects the read with TimeoutError, aborts the S3 request, releases the lease, stores nothing', async () => {
    const cache = make(proxy.client())
    const key = uniqueKey('hang')
    await putRaw(s3, key, '{"late":true}')
    proxy.set('hang')
    try {
      const read = cache.getJson(key, undefined, { signal: AbortSignal.timeout(100) })
      await expect(read).rejects.toMatchObject({ name: 'TimeoutError' })
      for (let i = 0; i < 50 && proxy.hanging > 0; i++) await sleep(10)
      expect(proxy.hanging).toBe(0)
      expect(await leftovers('o', key)).toEqual({ lease: 0, entry: 0 })
    } finally {
      proxy.set('pass')
    }
    expect(await cache.getJson(key)).toEqual({ late: true })
  })

  it('a wrap loader receives the signal; aborting mid-load rejects at once and leaves no lease and no entry', async () => {
    const cache = make()
    const key = uniqueKey('wrap-abort')
    const controller = new AbortController()
    let seen: AbortSignal | undefined
    const loader = ({ signal }: WrapLoaderContext) => {
      seen = signal
      return new Promise<never>((_, reject) =>
        signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
      )
    }
    const pending = cache.wrap(key, loader, { signal: controller.signal })
    await sleep(20)
    const reason = new DOMException('client went away', 'AbortError')
    controller.abort(reason)
    await expect(pending).rejects.toBe(reason)
    expect(seen?.aborted).toBe(true)
    await sleep(20) // the lease release is sent when the loader's rejection arrives
    expect(await leftovers('w', key)).toEqual({ lease: 0, entry: 0 })
  })

  it('one caller giving up does not cancel the read another caller still waits for', async () => {
    const cache = make()
    const key = uniqueKey('shared')
    const controller = new AbortController()
    let release: (value: { v: number }) => void = () => {}
    let loaderSignal: AbortSignal | undefined
    const loader = ({ signal }: WrapLoaderContext) => {
      loaderSignal = signal
      return new Promise<{ v: number }>((resolve) => {
        release = resolve
      })
    }
    const impatient = cache.wrap(key, loader, { signal: controller.signal })
    const patient = cache.wrap(key, loader)
    controller.abort()
    await expect(impatient).rejects.toMatchObject({ name: 'AbortError' })
    for (let i = 0; i < 100 && loaderSignal === undefined; i++) await sleep(5)
    release({ v: 1 })
    expect(await patient).toEqual({ v: 1 })
    expect(loaderSignal?.aborted).toBe(false)
    expect(await leftovers('w', key)).toEqual({ lease: 0, entry: 1 })
  })

  it('loaders of calls without a signal each get a signal of their own (listeners never pile up on one)', async () => {
    const cache = make()
    const signals: AbortSignal[] = []
    for (let i = 0; i < 3; i++) {
      await cache.wrap(uniqueKey('own-signal'), ({ signal }) => {
        signals.push(signal)
        signal.addEventListener('abort', () => {})
        return i
      })
    }
    expect(new Set(signals).size).toBe(3)
    expect(signals.some((signal) => signal.aborted)).toBe(false)
  })

  it('setTtl stores the value for the loader’s ttl; skip() returns it without storing it', async () => {
    const cache = make()
    const short = uniqueKey('set-ttl')
    const before = Date.now()
    await cache.wrap(short, ({ setTtl }) => {
      setTtl('2s')
      return { short: true }
    })
    const inspected = await admin.pttl(entryKeys('s3c:', 'w', '', short).entry)
    expect(inspected).toBeGreaterThan(0)
    expect(inspected).toBeLessThanOrEqual(2000 + (Date.now() - before))

    const skipped = uniqueKey('skip')
    const statuses: string[] = []
    const value = await cache.wrap(
      skipped,
      ({ skip }) => {
        skip()
        return { fresh: 'but not cached' }
      },
      { onStatus: (status) => statuses.push(status) },
    )
    expect(value).toEqual({ fresh: 'but not cached' })
    expect(statuses).toEqual(['bypass'])
    expect(await leftovers('w', skipped)).toEqual({ lease: 0, entry: 0 })
    const badTtl = cache.wrap(uniqueKey('bad-ttl'), ({ setTtl }) => {
      setTtl(0)
      return 1
    })
    await expect(badTtl).rejects.toMatchObject({ name: 'CacheConfigError' })
  })
})
