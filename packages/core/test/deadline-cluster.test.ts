import { startValkeyCluster, type ValkeyClusterServer } from '@valkey-s3-cache/testkit'
import { Cluster } from 'iovalkey'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SharedDeadline } from '../src/deadline'

describe('SharedDeadline under steady traffic on a 3-primary cluster (replies settle out of order)', () => {
  let cluster: ValkeyClusterServer
  let client: Cluster
  beforeAll(async () => {
    cluster = await startValkeyCluster({ primaries: 3, replicasPerPrimary: 0 })
    const { nodes, options } = cluster.clusterOptions()
    client = new Cluster(nodes, options)
    // Keys in many slots, so concurrent GETs go to all three primaries over three connections.
    await Promise.all(Array.from({ length: 64 }, (_, i) => client.set(`s3c:{k${i}}`, 'x'.repeat(100))))
  })
  afterAll(async () => {
    client?.disconnect()
    await cluster?.stop()
  })

  it('holds one record per call in flight, never one per call made', async () => {
    const deadline = new SharedDeadline(250, () => new Error('late'))
    const concurrency = 64
    const perWorker = 500
    let maxHeld = 0
    // Steady traffic: every worker starts its next GET as soon as its last one settled, so the
    // queue is never empty while the traffic lasts.
    await Promise.all(
      Array.from({ length: concurrency }, async (_, worker) => {
        for (let i = 0; i < perWorker; i++) {
          // A GET slower than the bound (a loaded machine) is a timeout, not a failure of this test.
          await deadline.bound(client.get(`s3c:{k${(worker + i) % 64}}`)).catch(() => {})
          maxHeld = Math.max(maxHeld, deadline.held)
        }
      }),
    )
    expect(maxHeld).toBeLessThanOrEqual(concurrency)
    expect(deadline.held).toBe(0)
  })
})
