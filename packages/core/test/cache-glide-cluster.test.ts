// A GLIDE cluster client (@valkey/valkey-glide) as Lambda would build it: TLS, the least-privilege user
// of docs/security.md for GLIDE (acl-glide), replica reads in the function's Availability Zone
// (readFrom 'AZAffinity' + clientAz), on 3 primaries with 2 replicas each, every node in an AZ.
import { GlideClusterClient, Logger } from '@valkey/valkey-glide'
import {
  type S3Server,
  startS3,
  startValkeyCluster,
  type ValkeyClusterServer,
} from '@valkey-s3-cache/testkit'
import type { Redis } from 'iovalkey'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { entryKeys } from '../src/keys'
import { documentedAccessString } from './support/access-strings'
import { makeCache, putRaw, sleep, type TestCache } from './support/harness'

// GLIDE logs every refused or retried command at WARN.
Logger.setLoggerConfig('off')

const accessString = documentedAccessString('acl-glide')

// AZ IDs, as Lambda's metadata endpoint reports them; Valkey's `availability-zone` is free text.
const ZONES = ['use1-az1', 'use1-az2', 'use1-az4']
const CLIENT_AZ = 'use1-az1'

describe('GLIDE cluster client, AZ affinity, TLS, acl-glide user (3 primaries × 2 replicas)', {
  timeout: 120_000,
}, () => {
  let s3: S3Server
  let cluster: ValkeyClusterServer
  const admins = new Map<number, Redis>()
  const zoneOf = new Map<number, string>()
  const made: TestCache[] = []
  const clients: GlideClusterClient[] = []

  const admin = async (port: number): Promise<Redis> => {
    const known = admins.get(port)
    if (known) return known
    const client = await cluster.adminClient(port)
    admins.set(port, client)
    return client
  }
  const onEveryNode = <T>(fn: (client: Redis, port: number) => Promise<T>): Promise<T[]> =>
    Promise.all(cluster.ports.map(async (port) => fn(await admin(port), port)))

  const glide = async () => {
    const { acl, tls } = cluster
    if (!acl || !tls) throw new Error('the cluster has no ACL user or TLS material')
    const client = await GlideClusterClient.createClient({
      addresses: [{ host: '127.0.0.1', port: cluster.ports[0] as number }],
      useTLS: true,
      credentials: { username: acl.username, password: acl.password },
      readFrom: 'AZAffinity',
      clientAz: CLIENT_AZ,
      requestTimeout: 1000,
      advancedConfiguration: { tlsAdvancedConfiguration: { rootCertificates: tls.ca } },
    })
    clients.push(client)
    return client
  }
  const cacheOn = (client: GlideClusterClient) => {
    const testCache = makeCache(s3, { valkey: client, timeouts: { valkey: 1000 } })
    made.push(testCache)
    return testCache
  }
  /** The port of the primary serving the slot of `key`, from one node's CLUSTER SLOTS. */
  const primaryOf = async (key: string): Promise<number> => {
    const client = await admin(cluster.ports[0] as number)
    const slot = Number(await client.call('CLUSTER', 'KEYSLOT', key))
    const ranges = (await client.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][]
    const range = ranges.find(([first, last]) => first <= slot && slot <= last)
    if (!range) throw new Error(`no primary serves slot ${slot}`)
    return range[2][1]
  }
  /** Whether both replicas of a primary have everything it has written. */
  const replicated = async (primaryPort: number, replicas: number[]): Promise<boolean> => {
    const info = (await (await admin(primaryPort)).call('INFO', 'replication')) as string
    const written = Number(/^master_repl_offset:(\d+)/m.exec(info)?.[1])
    const offsets = await Promise.all(
      replicas.map(async (port) => {
        const own = (await (await admin(port)).call('INFO', 'replication')) as string
        return Number(/^slave_repl_offset:(\d+)/m.exec(own)?.[1] ?? -1)
      }),
    )
    return offsets.every((offset) => offset >= written)
  }

  beforeAll(async () => {
    ;[s3, cluster] = await Promise.all([
      startS3(),
      startValkeyCluster({ replicasPerPrimary: 2, acl: { commands: accessString }, tls: true }),
    ])
    // As ElastiCache places a shard: its primary in one AZ, its replicas in the two others.
    const topology = await cluster.topology()
    const primaries = topology.filter((node) => node.role === 'primary')
    for (const [i, primary] of primaries.entries()) {
      zoneOf.set(primary.port, ZONES[i % 3] as string)
      const replicas = topology.filter((node) => node.primaryPort === primary.port)
      for (const [j, replica] of replicas.entries())
        zoneOf.set(replica.port, ZONES[(i + 1 + j) % 3] as string)
    }
    await onEveryNode((client, port) =>
      client.call('CONFIG', 'SET', 'availability-zone', zoneOf.get(port) ?? ''),
    )
    // Valkey lists a replica in CLUSTER SLOTS (where GLIDE finds it) only once it has replicated
    // something: one write on every primary.
    const written = new Set<number>()
    for (let i = 0; written.size < primaries.length; i++) {
      const key = `replicate:${i}`
      const port = await primaryOf(key)
      if (written.has(port)) continue
      await (await admin(port)).call('SET', key, '1')
      written.add(port)
    }
    const listed = async () =>
      (
        await onEveryNode(async (client) => {
          const ranges = (await client.call('CLUSTER', 'SLOTS')) as unknown[][]
          return ranges.every((range) => range.length === 5) // first, last, primary, 2 replicas
        })
      ).every(Boolean)
    for (let i = 0; i < 100 && !(await listed()); i++) await sleep(100)
    expect(await listed()).toBe(true)
  })

  afterAll(async () => {
    for (const made1 of made) await made1.cache.close()
    for (const client of clients) client.close()
    await cluster?.stop()
    await s3?.stop()
  })

  it('leaves ACL LOG empty on every node: connect, misses, hits, put, invalidate, invalidateTags', async () => {
    await onEveryNode((client) => client.call('ACL', 'LOG', 'RESET'))
    const { cache, events } = cacheOn(await glide())
    await cache.connect()
    const keys = Array.from({ length: 12 }, (_, i) => `acl/${i}.json`)
    for (const key of keys) await putRaw(s3, key, JSON.stringify({ key }))
    const misses = await Promise.all(keys.map(async (key) => (await cache.get(key)).status))
    expect(misses).toEqual(keys.map(() => 'miss'))
    // Reads go to replicas: a hit needs the entry replicated (it may take a read or two).
    for (const key of keys) {
      let status = ''
      for (let i = 0; i < 50 && status !== 'hit'; i++) status = (await cache.get(key)).status
      expect(status, key).toBe('hit')
    }
    await cache.put('acl/put.json', '{"p":1}', { tags: ['acl-red'] })
    expect(await cache.wrap('acl/wrap', () => ({ w: 1 }), { tags: ['acl-red'] })).toEqual({ w: 1 })
    expect(await cache.invalidate(keys[0] as string)).toBe(true)
    expect(await cache.invalidateTags(['acl-red'])).toBe(2)
    expect(events.filter((event) => event.type === 'error')).toEqual([])

    const denials = await onEveryNode(async (client, port) => ({
      port,
      log: (await client.call('ACL', 'LOG')) as unknown[],
    }))
    expect(denials.filter(({ log }) => log.length > 0)).toEqual([])
  })

  it(`serves hits from the replica in the client's AZ (${CLIENT_AZ}), not from its shard's primary or other replica`, async () => {
    const topology = await cluster.topology()
    const local = topology.find((node) => node.role === 'replica' && zoneOf.get(node.port) === CLIENT_AZ)
    if (!local?.primaryPort) throw new Error(`no replica in ${CLIENT_AZ}`)
    const shard = topology.filter(
      (node) => node.port === local.primaryPort || node.primaryPort === local.primaryPort,
    )
    expect(shard).toHaveLength(3)

    // Objects whose entries live in that replica's shard.
    const keys: string[] = []
    for (let i = 0; keys.length < 10; i++) {
      const key = `az/${i}.json`
      if ((await primaryOf(entryKeys('s3c:', 'o', s3.bucket, key).entry)) === local.primaryPort)
        keys.push(key)
    }
    const { cache } = cacheOn(await glide())
    for (const key of keys) await putRaw(s3, key, JSON.stringify({ key }))
    for (const key of keys) expect((await cache.get(key)).status).toBe('miss')
    // Every entry on both replicas before counting.
    const replicas = shard.filter((node) => node.role === 'replica').map((node) => node.port)
    for (let i = 0; i < 100 && !(await replicated(local.primaryPort, replicas)); i++) await sleep(50)
    expect(await replicated(local.primaryPort, replicas)).toBe(true)
    await onEveryNode((client) => client.call('CONFIG', 'RESETSTAT'))

    const statuses: string[] = []
    for (let round = 0; round < 3; round++)
      for (const key of keys) statuses.push((await cache.get(key)).status)
    expect(statuses).toEqual(statuses.map(() => 'hit'))

    const gets = new Map(
      await Promise.all(
        shard.map(async (node) => {
          const stats = (await (await admin(node.port)).call('INFO', 'commandstats')) as string
          return [node.port, Number(/^cmdstat_get:calls=(\d+)/m.exec(stats)?.[1] ?? 0)] as const
        }),
      ),
    )
    expect(
      shard.map((node) => ({ zone: zoneOf.get(node.port), role: node.role, gets: gets.get(node.port) })),
    ).toEqual(
      shard.map((node) => ({
        zone: zoneOf.get(node.port),
        role: node.role,
        gets: node.port === local.port ? statuses.length : 0,
      })),
    )
  })
})
