import { startValkeyCluster, type ValkeyClusterServer } from '@valkey-s3-cache/testkit'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { entryKeys } from '../../src/keys'
import { type LambdaEnvironment, thawSuite } from './lambda-env'

// As in freeze-thaw.test.ts: idle connections are closed after IDLE_TIMEOUT_S, and a freeze outlasts it.
const IDLE_TIMEOUT_S = 1
const FREEZE_MS = 3000

describe('Lambda lifecycle on a 3+3 TLS cluster with an ACL user (the ElastiCache Serverless shape)', () => {
  const suite = thawSuite(
    'Reliability: freeze and thaw on a cluster (packages/core/test/reliability/freeze-thaw-cluster.test.ts)',
    FREEZE_MS,
  )
  const { thaw, expectHit } = suite
  let cluster: ValkeyClusterServer
  let env: LambdaEnvironment

  beforeAll(async () => {
    cluster = await startValkeyCluster({
      primaries: 3,
      replicasPerPrimary: 1,
      tls: true,
      acl: true,
    })
    // Set once the cluster is formed: valkey-cli's own connections wait idle while it forms.
    for (const port of cluster.ports) {
      const admin = await cluster.adminClient(port)
      await admin.config('SET', 'timeout', String(IDLE_TIMEOUT_S))
    }
    env = await suite.start({ url: cluster.url, tls: { ca: cluster.tls?.ca, servername: 'localhost' } })
  }, 120_000)
  afterAll(async () => {
    await cluster?.stop()
  })

  /** The cluster slot of an object's entry (default keyPrefix, test bucket). */
  const slotOf = async (key: string) => {
    const admin = await cluster.adminClient(cluster.ports[0] as number)
    return Number(await admin.call('CLUSTER', 'KEYSLOT', entryKeys('s3c:', 'o', 'test-bucket', key).entry))
  }

  it('every node closed its idle connection: the first read is a Valkey hit', async () => {
    expectHit(await thaw('cluster, idle close', env, 'thaw/cluster-idle.json'), 'thaw/cluster-idle.json')
  })

  it("the primary of the object's slot failed over while frozen: the first read is a Valkey hit", async () => {
    const key = 'thaw/cluster-failover.json'
    const first = await thaw('cluster, primary failover', env, key, async () => {
      await cluster.failover(await cluster.primaryOf(await slotOf(key)))
    })
    expectHit(first, key)
  })

  it("the object's slot moved to another primary while frozen: the first read is a Valkey hit", async () => {
    const key = 'thaw/cluster-resharded.json'
    const first = await thaw('cluster, slot moved', env, key, async () => {
      const slot = await slotOf(key)
      const from = await cluster.primaryOf(slot)
      const primaries = (await cluster.topology()).filter((n) => n.role === 'primary')
      const to = primaries.find((n) => n.port !== from)?.port as number
      await cluster.moveSlot(slot, to)
    })
    expectHit(first, key)
  })
})
