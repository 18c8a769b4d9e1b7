// A coherent L1 on a 3-primary / 3-replica cluster: the change channel is sharded (SSUBSCRIBE on the
// primary of its slot). The subscription must follow the slot when it moves and survive a failover;
// GLIDE and iovalkey caches hear each other.
import { GlideClusterClient, GlideClusterClientConfiguration, Logger } from '@valkey/valkey-glide'
import {
  type S3Server,
  startS3,
  startValkeyCluster,
  type ValkeyClusterServer,
} from '@valkey-s3-cache/testkit'
import { Cluster } from 'iovalkey'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { S3CacheOptions } from '../src'
import { changeKeys } from '../src/keys'
import { slotOf } from '../src/store/slot'
import { makeCache, putRaw, sleep, type TestCache, uniqueKey } from './support/harness'

Logger.setLoggerConfig('off')

const HOUR = { ttl: '1h', maxBytes: 1_000_000 } as const
const DELIVERY_MS = 100
const CHANNEL_SLOT = slotOf(changeKeys('s3c:').channel)

/** Where a read of `key` by `made` was answered: 'l1', 'l2', or undefined (loaded). */
async function layerOf(made: TestCache, key: string): Promise<string | undefined> {
  const seen = made.events.length
  await made.cache.get(key)
  const hit = made.events.slice(seen).find((event) => event.type === 'hit')
  return hit?.type === 'hit' ? hit.layer : undefined
}

/** Reads `key` every 50 ms until `made` answers it from L1 again (subscribed and confirmed). */
async function untilL1(made: TestCache, key: string): Promise<string | undefined> {
  let layer: string | undefined
  for (let i = 0; i < 100 && layer !== 'l1'; i++) {
    await sleep(50)
    layer = await layerOf(made, key)
  }
  return layer
}

describe('coherent L1 on a cluster (sharded channel)', { timeout: 120_000 }, () => {
  let s3: S3Server
  let cluster: ValkeyClusterServer
  const made: TestCache[] = []
  const closers: (() => void)[] = []

  beforeAll(async () => {
    ;[s3, cluster] = await Promise.all([
      startS3(),
      startValkeyCluster({ primaries: 3, replicasPerPrimary: 1 }),
    ])
  })
  afterAll(async () => {
    for (const c of made) await c.cache.close()
    for (const close of closers) close()
    await cluster?.stop()
    await s3?.stop()
  })

  const onIovalkey = (options: Partial<S3CacheOptions> = {}) => {
    const { nodes, options: clusterOptions } = cluster.clusterOptions()
    const client = new Cluster(nodes, clusterOptions)
    closers.push(() => client.disconnect())
    const c = makeCache(s3, { l1: HOUR, ttl: '1h', timeouts: { valkey: 1000 }, ...options, valkey: client })
    made.push(c)
    return c
  }
  const onGlide = async () => {
    const client = await GlideClusterClient.createClient({
      addresses: [{ host: '127.0.0.1', port: cluster.ports[0] as number }],
      requestTimeout: 1000,
    })
    closers.push(() => client.close())
    const c = makeCache(s3, { l1: HOUR, ttl: '1h', timeouts: { valkey: 1000 }, valkey: client })
    made.push(c)
    return Object.assign(c, { glide: client })
  }

  it('a put in one reaches the others’ L1, iovalkey and GLIDE alike', async () => {
    const a = onIovalkey()
    const b = onIovalkey()
    const g = await onGlide()
    for (const c of [a, b, g]) await c.cache.connect()
    const key = uniqueKey('cluster-coherent')
    await putRaw(s3, key, 'v1', 'text/plain')
    expect(await untilL1(a, key)).toBe('l1')
    expect(await untilL1(g, key)).toBe('l1')
    await b.cache.put(key, 'v2', { contentType: 'text/plain' })
    await sleep(DELIVERY_MS)
    expect(await a.cache.getText(key)).toBe('v2')
    expect(await g.cache.getText(key)).toBe('v2')
    await g.cache.put(key, 'v3', { contentType: 'text/plain' })
    await sleep(DELIVERY_MS)
    expect(await a.cache.getText(key)).toBe('v3')
    // The client is the app's: close() leaves it open, and subscribed to nothing of the cache's.
    await g.cache.close()
    const { desiredSubscriptions } = await g.glide.getSubscriptions()
    expect([
      ...(desiredSubscriptions[GlideClusterClientConfiguration.PubSubChannelModes.Sharded] ?? []),
    ]).toEqual([])
  })

  it('follows the channel’s slot to its new primary, and reports the loss meanwhile', async () => {
    const a = onIovalkey()
    const b = onIovalkey()
    const key = uniqueKey('cluster-moved')
    await putRaw(s3, key, 'v1', 'text/plain')
    expect(await untilL1(a, key)).toBe('l1')
    const from = await cluster.primaryOf(CHANNEL_SLOT)
    const primaries = (await cluster.topology()).filter((node) => node.role === 'primary')
    const to = primaries.find((node) => node.port !== from)?.port as number
    await cluster.moveSlot(CHANNEL_SLOT, to)
    expect(await untilL1(a, key)).toBe('l1')
    expect(a.events.some((event) => event.type === 'error' && event.operation === 'l1-subscription')).toBe(
      true,
    )
    await b.cache.put(key, 'v2', { contentType: 'text/plain' })
    await sleep(DELIVERY_MS)
    expect(await a.cache.getText(key)).toBe('v2')
  })

  it('survives a failover of the channel’s primary', async () => {
    const a = onIovalkey()
    const b = onIovalkey()
    const key = uniqueKey('cluster-failover')
    await putRaw(s3, key, 'v1', 'text/plain')
    expect(await untilL1(a, key)).toBe('l1')
    await cluster.failover(await cluster.primaryOf(CHANNEL_SLOT))
    expect(await untilL1(a, key)).toBe('l1')
    await b.cache.put(key, 'v2', { contentType: 'text/plain' })
    await sleep(DELIVERY_MS)
    expect(await a.cache.getText(key)).toBe('v2')
  })
})
