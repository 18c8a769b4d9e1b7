import { type S3Server, startS3 } from '@valkey-s3-cache/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { InvalidKeyError, ObjectNotFoundError, type S3CacheOptions, SchemaValidationError } from '../../src'
import { decodeEntry, EntryKind, encodeEntry, encodeTimes } from '../../src/entry'
import { entryKeys, tagLogKey } from '../../src/keys'
import { selectStore } from '../../src/store/select'
import type { Store } from '../../src/store/store'
import { s3EventContract } from './contract-events'
import { tagsContract } from './contract-tags'
import { holdResponses, makeCache, putRaw, sleep, type TestCache, uniqueKey } from './harness'

/** The tag log a load reads when it begins (the default keyPrefix's). */
const TAG_LOG = tagLogKey('s3c:')

export interface StoreFixture {
  /** Called once per cache: each cache gets its own connection, as separate Lambda instances do. */
  valkey(): S3CacheOptions['valkey']
  /** Whether two caches see each other's entries (false for the per-cache memory store). */
  shared: boolean
}

/**
 * The behaviour every store must give the cache. Runs against the memory store and
 * against real Valkey (standalone, cluster, least-privilege ACL) with a real S3 server.
 */
export function cacheContract(name: string, setup: () => Promise<StoreFixture & { stop(): Promise<void> }>) {
  describe(`cache contract: ${name}`, () => {
    let s3: S3Server
    let fixture: StoreFixture & { stop(): Promise<void> }
    const caches: TestCache[] = []
    const cacheWith = (options: Partial<S3CacheOptions> = {}) => {
      const made = makeCache(s3, { valkey: fixture.valkey(), ...options })
      caches.push(made)
      return made
    }
    /** Another process's cache over the same store, or the same cache when the store is not shared. */
    const peerOf = (made: TestCache, options: Partial<S3CacheOptions> = {}) =>
      fixture.shared ? cacheWith(options) : made
    const stores: Store[] = []
    const storeErrors: Error[] = []
    /** The store itself (as the cache selects it for the fixture's `valkey`), for store-level checks. */
    const storeOf = () => {
      const store = selectStore(fixture.valkey(), (error) => storeErrors.push(error), 250)
      stores.push(store)
      return store
    }

    beforeAll(async () => {
      s3 = await startS3()
      fixture = await setup()
    })
    afterAll(async () => {
      await Promise.all(caches.map((c) => c.cache.close()))
      await Promise.all(stores.map((store) => store.close()))
      await fixture?.stop()
      await s3?.stop()
    })

    it('connect() is idempotent, and after it the first read is a miss then a hit with no error event', async () => {
      const { cache, events, getObjectCalls } = cacheWith()
      const first = cache.connect()
      expect(cache.connect()).toBe(first)
      await first
      expect(cache.connect()).toBe(first)
      const key = uniqueKey('connected')
      await putRaw(s3, key, '{"connected":true}')
      expect((await cache.get(key)).status).toBe('miss')
      expect((await cache.get(key)).status).toBe('hit')
      expect(getObjectCalls()).toBe(1)
      expect(events.filter((event) => event.type === 'error')).toEqual([])
    })

    it('close() is idempotent, and the cache still answers afterwards', async () => {
      const { cache } = cacheWith()
      const key = uniqueKey('closed')
      await putRaw(s3, key, '{"closed":true}')
      await cache.getJson(key)
      const closing = cache.close()
      expect(cache.close()).toBe(closing)
      await closing
      expect(await cache.getJson(key)).toEqual({ closed: true })
    })

    it('serves the second get from the cache with no S3 call', async () => {
      const { cache, getObjectCalls } = cacheWith()
      const key = uniqueKey()
      await putRaw(s3, key, '{"n":1}')
      const first = await cache.get(key)
      const second = await cache.get(key)
      expect(first.status).toBe('miss')
      expect(second.status).toBe('hit')
      expect(new TextDecoder().decode(second.body)).toBe('{"n":1}')
      expect(second).toMatchObject({
        bucket: s3.bucket,
        key,
        contentType: 'application/json',
        etag: first.etag,
      })
      expect(second.lastModified).toBeInstanceOf(Date)
      expect(getObjectCalls()).toBe(1)
    })

    it('makes one S3 call for 100 concurrent gets of a cold key', async () => {
      const { cache, getObjectCalls } = cacheWith()
      const key = uniqueKey()
      await putRaw(s3, key, '{"cold":true}')
      const results = await Promise.all(Array.from({ length: 100 }, () => cache.getJson(key)))
      expect(results.every((r) => (r as { cold: boolean }).cold)).toBe(true)
      expect(getObjectCalls()).toBe(1)
    })

    it('caches NoSuchKey for negativeTtl, and not at all with negativeTtl 0', async () => {
      const negative = cacheWith()
      const key = uniqueKey('missing')
      await expect(negative.cache.get(key)).rejects.toBeInstanceOf(ObjectNotFoundError)
      await expect(negative.cache.get(key)).rejects.toMatchObject({
        statusCode: 404,
        code: 'OBJECT_NOT_FOUND',
      })
      expect(negative.getObjectCalls()).toBe(1)

      const off = cacheWith({ negativeTtl: 0, keyPrefix: 's3c:neg0:' })
      await expect(off.cache.get(key)).rejects.toBeInstanceOf(ObjectNotFoundError)
      await expect(off.cache.get(key)).rejects.toBeInstanceOf(ObjectNotFoundError)
      expect(off.getObjectCalls()).toBe(2)
    })

    it('sees an object written with put right after a cached NoSuchKey', async () => {
      const { cache } = cacheWith()
      const key = uniqueKey('later')
      await expect(cache.get(key)).rejects.toBeInstanceOf(ObjectNotFoundError)
      await cache.put(key, '{"now":"here"}', { contentType: 'application/json' })
      expect(await cache.getJson(key)).toEqual({ now: 'here' })
    })

    it('reloads after the ttl ends', async () => {
      const { cache, getObjectCalls } = cacheWith({ ttl: 150, jitter: 0 })
      const key = uniqueKey()
      await putRaw(s3, key, '{"v":1}')
      await cache.get(key)
      await sleep(250)
      const again = await cache.get(key)
      expect(again.status).toBe('miss')
      expect(getObjectCalls()).toBe(2)
    })

    it('revalidates a stale entry with IfNoneMatch: S3 answers 304 and the entry is fresh again', async () => {
      const { cache, getObjectCalls, events } = cacheWith({ ttl: 150, staleTtl: '1m', jitter: 0 })
      const key = uniqueKey()
      await putRaw(s3, key, '{"same":true}')
      await cache.get(key)
      await sleep(250)
      const revalidated = await cache.get(key)
      expect(revalidated.status).toBe('hit')
      expect(events.filter((e) => e.type === 'load').map((e) => e.type === 'load' && e.source)).toEqual([
        'origin',
        'revalidated',
      ])
      expect(getObjectCalls()).toBe(2)
      const fresh = await cache.get(key)
      expect(fresh.status).toBe('hit')
      expect(getObjectCalls()).toBe(2)
    })

    it('replaces a stale entry whose object changed', async () => {
      const { cache } = cacheWith({ ttl: 150, staleTtl: '1m', jitter: 0 })
      const key = uniqueKey()
      await putRaw(s3, key, '{"v":1}')
      await cache.get(key)
      await putRaw(s3, key, '{"v":2}')
      await sleep(250)
      const changed = await cache.getJson(key)
      expect(changed).toEqual({ v: 2 })
    })

    it('serves stale when S3 is slower than the revalidation wait', async () => {
      const made = cacheWith({ ttl: 150, staleTtl: '1m', jitter: 0, timeouts: { revalidate: 50 } })
      const key = uniqueKey()
      await putRaw(s3, key, '{"v":"old"}')
      await made.cache.get(key)
      await sleep(250)
      const gate = holdResponses(made.client)
      gate.hold()
      const answer = await made.cache.get(key)
      gate.release()
      expect(answer.status).toBe('stale')
      expect(new TextDecoder().decode(answer.body)).toBe('{"v":"old"}')
      expect(made.events.some((e) => e.type === 'stale' && e.reason === 'revalidate-timeout')).toBe(true)
    })

    it('serves objects larger than maxObjectBytes with status bypass and never stores them', async () => {
      const { cache, getObjectCalls } = cacheWith({ maxObjectBytes: 1000 })
      const key = uniqueKey('big')
      await putRaw(s3, key, 'x'.repeat(2000), 'text/plain')
      expect((await cache.get(key)).status).toBe('bypass')
      const again = await cache.get(key)
      expect(again.status).toBe('bypass')
      expect(again.body.byteLength).toBe(2000)
      expect(getObjectCalls()).toBe(2)
    })

    for (const compression of [undefined, { codec: 'gzip' as const }, false as const]) {
      it(`round-trips text and binary bodies with compression ${JSON.stringify(compression ?? 'default')}`, async () => {
        const { cache } = cacheWith({
          compression,
          keyPrefix: `s3c:cmp${JSON.stringify(compression ?? 'd').length}:`,
        })
        const text = JSON.stringify({
          rows: Array.from({ length: 2000 }, (_, i) => ({ i, name: `row ${i} ✓` })),
        })
        const random = new Uint8Array(20_000).map(() => Math.floor(Math.random() * 256))
        const zeros = new Uint8Array(50_000)
        const keys = [uniqueKey('text'), uniqueKey('random'), uniqueKey('zeros')]
        const bodies = [new TextEncoder().encode(text), random, zeros]
        for (let i = 0; i < 3; i++)
          await putRaw(s3, keys[i] as string, bodies[i] as Uint8Array, 'application/octet-stream')
        for (let i = 0; i < 3; i++) await cache.get(keys[i] as string)
        for (let i = 0; i < 3; i++) {
          const hit = await cache.get(keys[i] as string)
          expect(hit.status).toBe('hit')
          expect(Buffer.from(hit.body).equals(Buffer.from(bodies[i] as Uint8Array))).toBe(true)
        }
        expect(await cache.getText(keys[0] as string)).toBe(text)
      })
    }

    it('getJson returns the schema output and throws SchemaValidationError with issues, keeping the entry', async () => {
      const { cache, getObjectCalls } = cacheWith()
      const key = uniqueKey()
      await putRaw(s3, key, '{"id":"42","tags":["a"]}')
      const Doc = z.object({ id: z.string().transform(Number), tags: z.array(z.string()) })
      const doc = await cache.getJson(key, Doc)
      expect(doc).toEqual({ id: 42, tags: ['a'] })
      const Wrong = z.object({ id: z.number() })
      const error = await cache.getJson(key, Wrong).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(SchemaValidationError)
      expect((error as SchemaValidationError).issues[0]?.path).toEqual(['id'])
      expect(getObjectCalls()).toBe(1)
    })

    it('getJson on a body that is not JSON throws SchemaValidationError', async () => {
      const { cache } = cacheWith()
      const key = uniqueKey('notjson')
      await putRaw(s3, key, 'not json {', 'text/plain')
      await expect(cache.getJson(key)).rejects.toBeInstanceOf(SchemaValidationError)
    })

    it('wrap caches JSON values and bytes, running the loader once for concurrent callers', async () => {
      const { cache } = cacheWith()
      let runs = 0
      const key = uniqueKey('report')
      const load = async () => {
        runs++
        await sleep(20)
        return { total: 7, items: [1, 2, 3], label: 'ünïcode' }
      }
      const values = await Promise.all(Array.from({ length: 20 }, () => cache.wrap(key, load, { ttl: '1m' })))
      expect(values.every((v) => v.total === 7 && v.label === 'ünïcode')).toBe(true)
      expect(await cache.wrap(key, load)).toEqual({ total: 7, items: [1, 2, 3], label: 'ünïcode' })
      expect(runs).toBe(1)
      const bytes = await cache.wrap(uniqueKey('bytes'), () => new Uint8Array([0, 1, 255]))
      expect(bytes).toBeInstanceOf(Uint8Array)
      expect([...bytes]).toEqual([0, 1, 255])
    })

    it('wrap does not cache a loader that throws', async () => {
      const { cache } = cacheWith()
      const key = uniqueKey('flaky')
      await expect(cache.wrap(key, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom')
      expect(await cache.wrap(key, () => 'ok')).toBe('ok')
    })

    it('put writes S3 then the entry; invalidate removes it', async () => {
      const writer = cacheWith()
      const reader = peerOf(writer)
      const key = uniqueKey()
      await writer.cache.put(key, '{"v":1}', { contentType: 'application/json', metadata: { owner: 'test' } })
      const read = await reader.cache.get(key)
      expect(read.status).toBe('hit')
      expect(read.metadata).toEqual({ owner: 'test' })
      expect(reader.getObjectCalls()).toBe(0)
      await putRaw(s3, key, '{"v":2}')
      await writer.cache.invalidate(key)
      expect(await reader.cache.getJson(key)).toEqual({ v: 2 })
    })

    for (const write of ['put', 'invalidate'] as const) {
      it(`does not write an old body back when ${write} happens during a load`, async () => {
        const made = cacheWith()
        const key = uniqueKey('race')
        await putRaw(s3, key, '{"v":"old"}')
        const gate = holdResponses(made.client)
        gate.hold()
        const slowGet = made.cache.getJson(key)
        await gate.arrived()
        const other = peerOf(made)
        if (write === 'put') await other.cache.put(key, '{"v":"new"}')
        else {
          await putRaw(s3, key, '{"v":"new"}')
          await other.cache.invalidate(key)
        }
        gate.release()
        expect(await slowGet).toEqual({ v: 'old' })
        expect(await made.cache.getJson(key)).toEqual({ v: 'new' })
        expect(await other.cache.getJson(key)).toEqual({ v: 'new' })
      })
    }

    it('serves from L1 when on, and put clears it', async () => {
      const { cache, events, getObjectCalls } = cacheWith({ l1: { maxBytes: 1_000_000, ttl: '1m' } })
      const key = uniqueKey()
      await putRaw(s3, key, '{"l1":1}')
      await cache.get(key)
      await cache.get(key)
      expect(events.filter((e) => e.type === 'hit').map((e) => e.type === 'hit' && e.layer)).toEqual(['l1'])
      await cache.put(key, '{"l1":2}')
      expect(await cache.getJson(key)).toEqual({ l1: 2 })
      expect(getObjectCalls()).toBe(1)
    })

    for (const l1 of [false, { ttl: '1m' }] as const) {
      it(`a caller that changes the bytes it got changes nothing another caller gets (${l1 ? 'L1 on' : 'no L1'})`, async () => {
        const { cache, events } = cacheWith({ l1 })
        // Stored compressed (a body decoded on every read), and as it is (a body inside the stored value).
        for (const original of ['x'.repeat(3000), 'short']) {
          const [key, wrapKey] = [uniqueKey('owned-bytes'), uniqueKey('owned-wrap')]
          await putRaw(s3, key, original)
          const loader = () => new TextEncoder().encode(original)
          const readers = [
            () => cache.get(key).then((object) => object.body),
            () => cache.wrap(wrapKey, loader),
          ]
          for (const read of readers) {
            // A miss, a hit, and concurrent callers that share one read: each scribbles on what it got.
            const got = [await read(), await read(), ...(await Promise.all([read(), read(), read()]))]
            for (const body of got) {
              expect(new TextDecoder().decode(body)).toBe(original)
              body.fill(0)
            }
            expect(new TextDecoder().decode(await read())).toBe(original)
          }
        }
        // Nothing was found corrupt: no caller changed a stored value either.
        expect(events.filter((event) => event.type === 'error')).toEqual([])
      })
    }

    it('rejects invalid keys with InvalidKeyError and accepts a 1024-byte key', async () => {
      const { cache } = cacheWith()
      await expect(cache.get('')).rejects.toBeInstanceOf(InvalidKeyError)
      await expect(cache.get('é'.repeat(513))).rejects.toMatchObject({ statusCode: 400 })
      await expect(cache.wrap('', () => 1)).rejects.toBeInstanceOf(InvalidKeyError)
      // Path segments stay under the file-name limit of the S3 server's file system.
      const longest = `${`${'a'.repeat(200)}/`.repeat(4)}${'b'.repeat(220)}`
      expect(Buffer.byteLength(longest)).toBe(1024)
      await putRaw(s3, longest, '{}')
      expect((await cache.get(longest)).status).toBe('miss')
      expect((await cache.get(longest)).status).toBe('hit')
    })

    s3EventContract({ s3: () => s3, cacheWith, peerOf })
    tagsContract({ s3: () => s3, cacheWith, peerOf })

    it('applies an event whose sequencer length differs from the last applied one, and ignores a same-length older or duplicate one', async () => {
      const reader = cacheWith()
      const writer = peerOf(reader)
      const key = uniqueKey('seqlen')
      await putRaw(s3, key, '{"v":1}')
      const invalidate = (sequencer: string) => writer.cache.invalidate(key, { sequencer })
      // A notification's sequencer, then an EventBridge one of the same event family, 2 digits shorter:
      // right-padding orders the shorter one later, left-padding earlier. Applying it costs one reload.
      expect(await invalidate('00617F08299329D18A')).toBe(true)
      expect((await reader.cache.get(key)).status).toBe('miss')
      expect(await invalidate('617F08299329D189')).toBe(true)
      expect((await reader.cache.get(key)).status).toBe('miss')
      expect(await invalidate('617f08299329d189')).toBe(false) // a duplicate
      expect(await invalidate('617F08299329D188')).toBe(false) // older, same length
      expect((await reader.cache.get(key)).status).toBe('hit')
      expect(await invalidate('00617F08299329D18A')).toBe(true) // its length differs from the last applied one
      expect(await invalidate('00617F08299329D18A')).toBe(false)
      expect((await reader.cache.get(key)).status).toBe('miss')
      expect(reader.getObjectCalls()).toBe(3)
    })

    /** The key the store tests' entries are encoded for (the store itself never reads it). */
    const ENTRY_KEY = 'store-contract'
    /** A stored entry with `text` as its body, fresh for a minute. */
    const entryOf = (text: string, kind: EntryKind = EntryKind.object) => {
      const now = Date.now()
      const data = { kind, body: Buffer.from(text), freshUntil: now + 60_000, staleUntil: now + 120_000 }
      return encodeEntry(data, false, ENTRY_KEY).value
    }

    it('store: a 304 refresh (touch) rewrites only the entry it revalidated, matched by its checksum', async () => {
      const store = storeOf()
      const keys = entryKeys('s3c:', 'o', s3.bucket, uniqueKey('touch'))
      const revalidated = entryOf('{"v":"revalidated"}')
      const ticket = await store.begin(keys, 'reader-token', 5000, TAG_LOG)
      expect(await store.commit(keys, ticket.generation, '', revalidated, 60_000)).toBe(true)
      const times = encodeTimes(Date.now() + 600_000, Date.now() + 900_000)
      const checksum = decodeEntry(revalidated, ENTRY_KEY).checksum
      // Another writer stores another body (then a cached NoSuchKey) under the same generation.
      for (const other of [entryOf('{"v":"other writer"}'), entryOf('', EntryKind.missing)]) {
        const theirs = await store.begin(keys, '', 0, TAG_LOG)
        expect(theirs.generation).toBe(ticket.generation)
        expect(await store.commit(keys, theirs.generation, '', other, 60_000)).toBe(true)
        expect(await store.touch(keys, ticket.generation, '', checksum, times, 600_000)).toBe(false)
        expect(await store.touch(keys, ticket.generation, '', undefined, times, 600_000)).toBe(false)
        expect(await store.get(keys.entry)).toEqual(other)
      }
      // The lease is released whether or not the touch wrote.
      expect(await store.touch(keys, ticket.generation, 'reader-token', checksum, times, 600_000)).toBe(false)
      expect((await store.begin(keys, 'next', 5000, TAG_LOG)).leased).toBe(true)
      await store.release(keys, 'next')
      // The entry it revalidated is refreshed: new times, same body and checksum.
      expect(await store.commit(keys, ticket.generation, '', revalidated, 60_000)).toBe(true)
      expect(await store.touch(keys, ticket.generation, '', checksum, times, 600_000)).toBe(true)
      const touched = decodeEntry((await store.get(keys.entry)) as Buffer, ENTRY_KEY)
      expect(touched.freshUntil).toBe(times.readDoubleBE(0))
      expect(touched.staleUntil).toBe(times.readDoubleBE(8))
      expect(touched.checksum).toBe(checksum)
      expect(Buffer.from(touched.body).toString()).toBe('{"v":"revalidated"}')
    })

    it('store: refuses a ttl or lease that Valkey cannot take (2500.5, 0, negative, NaN, Infinity) with its own error, writing nothing', async () => {
      const store = storeOf()
      const keys = entryKeys('s3c:', 'o', s3.bucket, uniqueKey('px'))
      const value = entryOf('{"px":true}')
      const refused = /ERR value is not an integer or out of range/
      const { generation } = await store.begin(keys, '', 0, TAG_LOG)
      for (const bad of [2500.5, 0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
        // A lease of 0 ms means no lease.
        if (bad !== 0) await expect(store.begin(keys, 'token', bad, TAG_LOG)).rejects.toThrow(refused)
        await expect(store.commit(keys, generation, '', value, bad)).rejects.toThrow(refused)
        await expect(store.touch(keys, generation, '', 0, encodeTimes(1, 2), bad)).rejects.toThrow(refused)
        await expect(store.replace(keys, generation, value, bad)).rejects.toThrow(refused)
      }
      // Nothing was written by a refused call.
      expect(await store.get(keys.entry)).toBeNull()
      expect((await store.begin(keys, 'token', 2501, TAG_LOG)).leased).toBe(true)
      expect(await store.commit(keys, generation, 'token', value, 2501)).toBe(true)
      expect(await store.get(keys.entry)).toEqual(value)
      expect((await store.replace(keys, generation, value, 2501)).written).toBe(true)
      expect(await store.get(keys.entry)).toEqual(value)
    })

    it('reported no store or connection error in any test above', () => {
      const errors = caches.flatMap((c) => c.events).filter((e) => e.type === 'error')
      expect(errors.map((e) => e.type === 'error' && `${e.operation}: ${e.error.message}`)).toEqual([])
      expect(storeErrors).toEqual([])
    })

    it('keeps keys with braces, globs and unicode apart', async () => {
      const { cache } = cacheWith()
      const keys = ['a{b}/x.json', 'a*b?/x.json', 'ключ/ü.json', 'a{b}/x.json ']
      for (const [i, key] of keys.entries()) await putRaw(s3, key, JSON.stringify({ i }))
      for (const [i, key] of keys.entries()) expect(await cache.getJson(key)).toEqual({ i })
      for (const [i, key] of keys.entries()) expect(await cache.getJson(key)).toEqual({ i })
    })
  })
}
