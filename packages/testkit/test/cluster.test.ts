import { Cluster } from 'iovalkey'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startValkeyCluster, type ValkeyClusterServer } from '../src'
import { ENGINES, reportedEngine } from './support/engines'

describe.each(ENGINES)('%s: 3-primary / 3-replica cluster with an ACL user', (engine) => {
  let cluster: ValkeyClusterServer
  beforeAll(async () => {
    cluster = await startValkeyCluster({
      engine,
      primaries: 3,
      replicasPerPrimary: 1,
      acl: { keyPrefix: 'app:' },
    })
  })
  afterAll(() => cluster.stop())

  const connect = () => {
    const { nodes, options } = cluster.clusterOptions()
    return new Cluster(nodes, options)
  }

  it('covers all 16384 slots with 3 primaries and 3 replicas', async () => {
    const admin = await cluster.adminClient(cluster.ports[0] as number)
    const info = (await admin.call('CLUSTER', 'INFO')) as string
    expect(info).toContain('cluster_state:ok')
    expect(info).toContain('cluster_slots_assigned:16384')
    const topology = await cluster.topology()
    expect(topology.filter((n) => n.role === 'primary')).toHaveLength(3)
    expect(topology.filter((n) => n.role === 'replica')).toHaveLength(3)
  })

  it('runs the engine asked for on every node, at the version they report in INFO server', async () => {
    console.log(`cluster ${cluster.engine} ${cluster.version}`)
    for (const port of cluster.ports) {
      const reported = await reportedEngine(await cluster.adminClient(port))
      expect(reported).toEqual({ engine, version: cluster.version })
    }
  })

  it('answers through iovalkey Cluster as the ACL user on keys in every slot range', async () => {
    const client = connect()
    const keys = Array.from({ length: 30 }, (_, i) => `app:key-${i}`)
    for (const key of keys) await client.set(key, key)
    for (const key of keys) expect(await client.get(key)).toBe(key)
    await expect(client.set('other:key', '1')).rejects.toThrow(/NOPERM/)
    client.disconnect()
  })

  it('fails a primary over to its replica and keeps serving', async () => {
    const client = connect()
    await client.set('app:before-failover', 'kept')
    const before = await cluster.topology()
    const primary = before.find((n) => n.role === 'primary')?.port as number
    const promoted = await cluster.failover(primary)
    const after = await cluster.topology()
    expect(after.find((n) => n.port === promoted)?.role).toBe('primary')
    expect(after.find((n) => n.port === primary)?.role).toBe('replica')
    expect(await client.get('app:before-failover')).toBe('kept')
    client.disconnect()
  })

  it('pauses and resumes a node', async () => {
    const port = cluster.ports[5] as number
    cluster.pause(port)
    const admin = await cluster.adminClient(cluster.ports[0] as number)
    expect(await admin.ping()).toBe('PONG')
    cluster.resume(port)
    await cluster.waitUntilOk()
  })
})

describe.each(ENGINES)('%s: cluster with TLS and an ACL user', (engine) => {
  let cluster: ValkeyClusterServer
  beforeAll(async () => {
    cluster = await startValkeyCluster({ engine, primaries: 3, replicasPerPrimary: 1, acl: true, tls: true })
  })
  afterAll(() => cluster.stop())

  it('serves every slot over TLS to a client that trusts the throwaway CA', async () => {
    const { nodes, options } = cluster.clusterOptions()
    const client = new Cluster(nodes, options)
    const keys = Array.from({ length: 20 }, (_, i) => `s3c:tls-${i}`)
    for (const key of keys) await client.set(key, key)
    expect(await Promise.all(keys.map((key) => client.get(key)))).toEqual(keys)
    expect(cluster.url).toMatch(/^valkeys:\/\/app:/)
    client.disconnect()
  })
})
