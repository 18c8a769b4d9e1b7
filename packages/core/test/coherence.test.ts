// A coherent L1 across processes: three caches, each on connections of its own (as three processes
// are), with `l1.ttl` of an hour, so only the change channel can take an old item out of L1 in time.

import { blockEventLoop, objectCreatedEvent } from '@valkey-s3-cache/testkit'
import { Redis } from 'iovalkey'
import { describe, expect, it } from 'vitest'
import { invalidateFromS3Event } from '../src'
import { changeKeys } from '../src/keys'
import type { TestCache } from './support/harness'
import { putRaw, sleep, uniqueKey } from './support/harness'
import { commandCount, useServers } from './support/servers'

const servers = useServers()

const HOUR = { ttl: '1h', maxBytes: 1_000_000 } as const

/** Three caches with L1 as three processes would have them; the first read of each subscribes. */
async function three() {
  const made = [0, 1, 2].map(() =>
    servers.cacheOnOwnClient({ l1: HOUR, ttl: '1h', timeouts: { valkey: 500 } }),
  )
  await Promise.all(made.map(({ cache }) => cache.connect()))
  await sleep(50) // subscribed and confirmed
  return made
}

/** Where a read of `key` by `made` was answered: 'l1', 'l2', or undefined (neither: loaded). */
async function layerOf(made: TestCache | undefined, key: string): Promise<string | undefined> {
  const seen = made?.events.length ?? 0
  await made?.cache.get(key)
  const hit = made?.events.slice(seen).find((event) => event.type === 'hit')
  return hit?.type === 'hit' ? hit.layer : undefined
}

/** The delivery bound the guarantee is stated with: a read this long after a change resolved. */
const DELIVERY_MS = 100

describe('coherent L1 (standalone Valkey, three caches, l1.ttl 1 h)', () => {
  it('a put in one reaches the L1 of the others: they answer the new body', async () => {
    const [a, b, c] = await three()
    const key = uniqueKey('coherent-put')
    await putRaw(servers.s3, key, 'v1', 'text/plain')
    for (const made of [a, b, c]) await made?.cache.getText(key)
    expect(await layerOf(a, key)).toBe('l1')
    await b?.cache.put(key, 'v2', { contentType: 'text/plain' })
    await sleep(DELIVERY_MS)
    expect(await a?.cache.getText(key)).toBe('v2')
    expect(await c?.cache.getText(key)).toBe('v2')
  })

  it('an invalidate, an S3 event and invalidateTags reach the others as well', async () => {
    const [a, b] = await three()
    const plain = uniqueKey('coherent-invalidate')
    const evented = uniqueKey('coherent-event')
    await putRaw(servers.s3, plain, 'v1', 'text/plain')
    await putRaw(servers.s3, evented, 'v1', 'text/plain')
    const tagged = uniqueKey('coherent-tagged')
    let computed = 0
    const compute = () =>
      a?.cache.wrap(tagged, async ({ setTags }) => {
        setTags(['coherent-tag'])
        return ++computed
      })
    expect(await compute()).toBe(1)
    await a?.cache.getText(plain)
    await a?.cache.getText(evented)
    await putRaw(servers.s3, plain, 'v2', 'text/plain')
    await putRaw(servers.s3, evented, 'v2', 'text/plain')
    await b?.cache.invalidate(plain)
    if (b) await invalidateFromS3Event(b.cache, objectCreatedEvent(servers.s3.bucket, { key: evented }))
    await b?.cache.invalidateTags(['coherent-tag'])
    await sleep(DELIVERY_MS)
    expect(await a?.cache.getText(plain)).toBe('v2')
    expect(await a?.cache.getText(evented)).toBe('v2')
    expect(await compute()).toBe(2)
  })

  it('a value built from an object leaves the others’ L1 when the object changes', async () => {
    const [a, b] = await three()
    const source = uniqueKey('coherent-source')
    await putRaw(servers.s3, source, 'v1', 'text/plain')
    const page = uniqueKey('coherent-page')
    const render = () => a?.cache.wrap(page, async ({ cache }) => `page of ${await cache.getText(source)}`)
    expect(await render()).toBe('page of v1')
    await b?.cache.put(source, 'v2', { contentType: 'text/plain' })
    await sleep(DELIVERY_MS)
    expect(await render()).toBe('page of v2')
  })

  it('after a freeze, the first read confirms it heard everything before answering from L1', async () => {
    const [a, b] = await three()
    const key = uniqueKey('coherent-freeze')
    await putRaw(servers.s3, key, 'v1', 'text/plain')
    await a?.cache.getText(key)
    await b?.cache.put(key, 'v2', { contentType: 'text/plain' })
    // The message is on its way to a's socket, but the event loop stops before reading it.
    blockEventLoop(300)
    expect(await a?.cache.getText(key)).toBe('v2')
  })

  it('a steady L1 hit sends nothing to Valkey', async () => {
    const [a] = await three()
    const key = uniqueKey('coherent-steady')
    await putRaw(servers.s3, key, 'v1', 'text/plain')
    await a?.cache.getText(key)
    const before = await commandCount(servers.admin)
    for (let i = 0; i < 100; i++) expect(await layerOf(a, key)).toBe('l1')
    expect((await commandCount(servers.admin)) - before).toBe(0)
  })

  it('changes of one tick leave in one message, naming Valkey keys only', async () => {
    const [a] = await three()
    const listener = new Redis(servers.valkey.options())
    const messages: string[] = []
    listener.on('message', (_channel: string, text: string) => messages.push(text))
    await listener.subscribe(changeKeys('s3c:').channel)
    const keys = Array.from({ length: 20 }, (_, i) => uniqueKey(`coherent-batch-${i}`))
    await Promise.all(keys.map((key) => a?.cache.invalidate(key)))
    await sleep(DELIVERY_MS)
    listener.disconnect()
    const named = messages.flatMap((text) => text.split(' ').slice(1))
    expect(new Set(named).size).toBe(20)
    expect(messages.length).toBeLessThan(20)
    for (const key of keys) expect(messages.join(' ')).not.toContain(key)
  })

  it('a killed subscription empties L1 and reports it; L1 serves again once subscribed again', async () => {
    const [a, b] = await three()
    const key = uniqueKey('coherent-kill')
    await putRaw(servers.s3, key, 'v1', 'text/plain')
    await a?.cache.getText(key)
    expect(await layerOf(a, key)).toBe('l1')
    await servers.admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub')
    await sleep(DELIVERY_MS)
    expect(a?.events.some((event) => event.type === 'error' && event.operation === 'l1-subscription')).toBe(
      true,
    )
    // Missed while unsubscribed: nobody could tell a.
    await b?.cache.put(key, 'v2', { contentType: 'text/plain' })
    expect(await a?.cache.getText(key)).toBe('v2')
    let layer: string | undefined
    for (let i = 0; i < 50 && layer !== 'l1'; i++) {
      await sleep(50)
      layer = await layerOf(a, key)
    }
    expect(layer).toBe('l1')
  })

  it('a publish that fails is an l1-publish error event; the put itself succeeds', async () => {
    const user = `nopublish-${Date.now()}`
    await servers.admin.call('ACL', 'SETUSER', user, 'on', '>pw', '~*', 'resetchannels', '+@all', '-publish')
    const { cache, events } = servers.cacheOnOwnClient({
      valkey: `valkey://${user}:pw@127.0.0.1:${servers.valkey.port}`,
    })
    const key = uniqueKey('coherent-nopublish')
    await cache.put(key, 'v1', { contentType: 'text/plain' })
    expect(events.some((event) => event.type === 'error' && event.operation === 'l1-publish')).toBe(true)
    expect(await cache.getText(key)).toBe('v1')
  })

  it('coherence: false publishes nothing', async () => {
    const { cache } = servers.cacheOnOwnClient({ coherence: false })
    const before = Number(await servers.admin.get(changeKeys('s3c:').counter))
    await cache.invalidate(uniqueKey('coherent-off'))
    expect(Number(await servers.admin.get(changeKeys('s3c:').counter))).toBe(before)
  })
})
