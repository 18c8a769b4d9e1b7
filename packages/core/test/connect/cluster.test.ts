import { S3Client } from '@aws-sdk/client-s3'
import { startValkeyCluster, type ValkeyClusterServer } from '@valkey-s3-cache/testkit'
import { Cluster } from 'iovalkey'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createS3Cache } from '../../src'
import { createValkeyClient } from '../../src/connect/create-client'
import { toValkeyError } from '../../src/connect/errors'
import { ValkeyAuthError } from '../../src/errors'
import { SCRIPTS } from '../../src/store/scripts'
import { clientTracker, eventually, sleep } from './helpers'

describe('createValkeyClient against a 3+3 cluster with ACL', () => {
  let cluster: ValkeyClusterServer
  const clients = clientTracker()
  beforeAll(async () => {
    cluster = await startValkeyCluster({ primaries: 3, replicasPerPrimary: 1, acl: true })
  })
  afterEach(() => clients.closeAll())
  afterAll(() => cluster.stop())

  const keys = Array.from({ length: 30 }, (_, i) => `s3c:{k${i}}entry`)
  const onAllNodes = async (...args: string[]) => {
    for (const port of cluster.ports)
      await (await cluster.adminClient(port)).call(args[0] as string, ...args.slice(1))
  }
  const getCalls = async (port: number) => {
    const stats = (await (await cluster.adminClient(port)).info('commandstats')) as string
    return Number(/cmdstat_get:calls=(\d+)/.exec(stats)?.[1] ?? 0)
  }

  it("detects cluster mode with cluster: 'auto' and works across slots", async () => {
    const client = clients.track(await createValkeyClient(cluster.url))
    expect(client).toBeInstanceOf(Cluster)
    for (const key of keys) await client.set(key, key)
    for (const key of keys) expect(await client.get(key)).toBe(key)
    const script = "redis.call('SET', KEYS[1], ARGV[1]); return redis.call('GET', KEYS[1])"
    expect(await client.eval(script, 1, 's3c:{abc}x', 'v')).toBe('v')
  })

  it('sends reads to replicas with readFrom: replica', { timeout: 60_000 }, async () => {
    // CLUSTER SLOTS lists a replica only once it has synced (after the 5 s diskless-sync delay).
    await eventually(async () => {
      for (const port of cluster.ports) {
        const slots = (await (await cluster.adminClient(port)).call('CLUSTER', 'SLOTS')) as unknown[][]
        expect(slots.every((range) => range.length > 3)).toBe(true)
      }
    }, 30_000)
    const writer = clients.track(await createValkeyClient({ url: cluster.url, cluster: true }))
    for (const key of keys) await writer.set(key, `r-${key}`)
    await sleep(300)
    await onAllNodes('CONFIG', 'RESETSTAT')
    const reader = clients.track(await createValkeyClient({ url: cluster.url, readFrom: 'replica' }))
    for (const key of keys)
      expect(await eventually(async () => reader.get(key).then((v) => v ?? Promise.reject(v)))).toBe(
        `r-${key}`,
      )
    const topology = await cluster.topology()
    const replicaGets = await Promise.all(
      topology.filter((n) => n.role === 'replica').map((n) => getCalls(n.port)),
    )
    const primaryGets = await Promise.all(
      topology.filter((n) => n.role === 'primary').map((n) => getCalls(n.port)),
    )
    expect(replicaGets.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(keys.length)
    expect(primaryGets.reduce((a, b) => a + b, 0)).toBe(0)
    // Writes still go to the primaries.
    await reader.set('s3c:{w}x', '1')
  })

  it('cache.connect() with readFrom: replica loads the scripts on every primary and connects every replica', {
    timeout: 60_000,
  }, async () => {
    await eventually(async () => {
      for (const port of cluster.ports) {
        const slots = (await (await cluster.adminClient(port)).call('CLUSTER', 'SLOTS')) as unknown[][]
        expect(slots.every((range) => range.length > 3)).toBe(true)
      }
    }, 30_000)
    await onAllNodes('SCRIPT', 'FLUSH')
    const appConnections = async (port: number) => {
      const list = (await (await cluster.adminClient(port)).client('LIST')) as string
      return list.split('\n').filter((line) => / user=app /.test(line)).length
    }
    const topology = await cluster.topology()
    const replicas = topology.filter((n) => n.role === 'replica').map((n) => n.port)
    const before = await Promise.all(replicas.map(appConnections))
    const cache = createS3Cache({
      s3: new S3Client({ region: 'us-east-1' }), // never called: nothing is read
      bucket: 'b',
      valkey: { url: cluster.url, readFrom: 'replica' },
    })
    try {
      await cache.connect()
      for (const node of topology.filter((n) => n.role === 'primary')) {
        const admin = await cluster.adminClient(node.port)
        const loaded = (await admin.call('SCRIPT', 'EXISTS', ...SCRIPTS.map((s) => s.sha))) as number[]
        expect(loaded).toEqual(SCRIPTS.map(() => 1))
      }
      const after = await Promise.all(replicas.map(appConnections))
      expect(after.map((count, i) => count - (before[i] as number))).toEqual(replicas.map(() => 1))
    } finally {
      await cache.close()
    }
  })

  it('re-reads credentials for every node connection and survives a rotation on every node', async () => {
    let password = cluster.acl?.password ?? ''
    let calls = 0
    const client = clients.track(
      await createValkeyClient({
        url: `valkey://127.0.0.1:${cluster.ports[0]}`,
        username: 'app',
        credentials: () => {
          calls++
          return { password }
        },
      }),
    )
    expect(client).toBeInstanceOf(Cluster)
    for (const key of keys) await client.set(key, 'before')
    const before = calls

    password = 'cluster-rotated-secret-42'
    await onAllNodes('ACL', 'SETUSER', 'app', 'resetpass', `>${password}`)
    await onAllNodes('CLIENT', 'KILL', 'USER', 'app')
    await eventually(async () => {
      for (const key of keys) expect(await client.get(key)).toBe('before')
    }, 20_000)
    expect(calls).toBeGreaterThan(before)
  })

  it('maps a wrong password on a cluster to ValkeyAuthError, in both modes', async () => {
    const url = `valkey://app:wrong-cluster-password@127.0.0.1:${cluster.ports[1]}`
    await expect(createValkeyClient(url)).rejects.toBeInstanceOf(ValkeyAuthError)
    const reported: Error[] = []
    const client = clients.track(
      await createValkeyClient({ url, cluster: true, onError: (e) => reported.push(e) }),
    )
    const failure = await client.get('s3c:x').catch((e: unknown) => toValkeyError(e))
    expect(failure).toBeInstanceOf(Error)
    await eventually(async () => expect(reported.some((e) => e instanceof ValkeyAuthError)).toBe(true))
    expect(reported.map((e) => e.message).join('\n')).not.toContain('wrong-cluster-password')
  })
})
