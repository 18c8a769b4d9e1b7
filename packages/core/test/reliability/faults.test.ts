import {
  type S3Server,
  startS3,
  startS3FaultProxy,
  startValkey,
  startValkeyCluster,
  type ValkeyClusterServer,
  type ValkeyServer,
} from '@valkey-s3-cache/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createS3Cache, OriginError, type S3Cache, type S3CacheOptions } from '../../src'
import { attempt, printTable, type Row, sleep, watchProcess } from './support'
import { runTraffic, untilHit } from './traffic'

const rows: Row[] = []
const TTL = 3000
const STALE = 2000

describe('faults under traffic (real valkey-server, real S3 server)', () => {
  let s3: S3Server
  let valkey: ValkeyServer
  let cluster: ValkeyClusterServer | undefined
  const caches: S3Cache[] = []
  const make = (valkeyOption: S3CacheOptions['valkey'], extra: Partial<S3CacheOptions> = {}) => {
    const cache = createS3Cache({
      s3: s3.newClient(),
      bucket: s3.bucket,
      valkey: valkeyOption,
      ttl: TTL,
      staleTtl: STALE,
      timeouts: { valkey: 100, s3: 1000 },
      ...extra,
    })
    caches.push(cache)
    return cache
  }
  const keysFor = (label: string) => Array.from({ length: 8 }, (_, i) => `fault/${label}/${i}.json`)

  beforeAll(async () => {
    s3 = await startS3()
    valkey = await startValkey()
  })
  afterAll(async () => {
    for (const cache of caches) await cache.close()
    await cluster?.stop()
    await valkey?.stop()
    await s3?.stop()
    printTable('Reliability: faults (packages/core/test/reliability/faults.test.ts)', rows)
  })

  const scenario = async (
    name: string,
    valkeyOption: () => S3CacheOptions['valkey'],
    fault: () => Promise<void>,
  ) => {
    const watch = watchProcess()
    const readers = [make(valkeyOption()), make(valkeyOption())]
    const writer = make(valkeyOption())
    const keys = keysFor(name.replace(/\W+/g, '-'))
    try {
      const result = await runTraffic({
        scenario: name,
        s3,
        readers,
        writer,
        keys,
        lagMs: TTL + STALE,
        staleMs: STALE,
        fault,
      })
      const recovered = await Promise.all(readers.map((cache) => untilHit(cache, keys[0] as string)))
      const { failures, ...row } = result
      rows.push({
        ...row,
        note: `${row.note}; recovered: ${recovered.join('/')}; process faults: ${watch.count}`,
      })
      console.log(
        `[faults] ${name}: ${row.requests} requests, ${row.hits} hits, ${row.stale} stale, ${row.errors} typed errors, ` +
          `${row.untyped} untyped, ${row.wrong} wrong; ${row.note}; recovery ${recovered.join('/')}; ` +
          `unhandled ${watch.count}`,
      )
      if (failures.length) console.log(failures.slice(0, 5).join('\n'))
      expect(row.wrong).toBe(0)
      expect(row.untyped).toBe(0)
      expect(recovered.every((s) => s === 'hit')).toBe(true)
      expect(watch.count).toBe(0)
      expect(row.requests).toBeGreaterThan(20)
    } finally {
      watch.stop()
    }
  }

  it('Valkey killed (SIGKILL) and restarted mid-traffic', { timeout: 60_000 }, async () => {
    await scenario(
      'valkey SIGKILL + restart',
      () => valkey.url,
      async () => {
        await valkey.process.stop()
        await sleep(800)
        await valkey.process.start()
      },
    )
  })

  it('Valkey paused with SIGSTOP for 1.5 s', { timeout: 60_000 }, async () => {
    await scenario(
      'valkey SIGSTOP 1.5 s',
      () => valkey.url,
      async () => {
        valkey.process.pause()
        await sleep(1500)
        valkey.process.resume()
      },
    )
  })

  it('cluster primary failed over under traffic (3+1 cluster)', { timeout: 120_000 }, async () => {
    cluster = await startValkeyCluster({ primaries: 3, replicasPerPrimary: 1 })
    const c = cluster
    await scenario(
      'cluster primary failover',
      () => c.url,
      async () => {
        const primary = (await c.topology()).find((n) => n.role === 'primary')
        await c.failover(primary?.port)
        await c.waitUntilOk()
      },
    )
  })

  it('a slot range resharded with valkey-cli --cluster reshard under traffic (3+1 cluster)', {
    timeout: 120_000,
  }, async () => {
    cluster ??= await startValkeyCluster({ primaries: 3, replicasPerPrimary: 1 })
    const c = cluster
    await scenario(
      'cluster reshard (500 slots)',
      () => c.url,
      async () => {
        const primaries = (await c.topology()).filter((n) => n.role === 'primary')
        await c.reshard(primaries[0]?.port as number, primaries[1]?.port as number, 500)
      },
    )
  })
})

describe('S3 faults (S3 fault proxy)', () => {
  let s3: S3Server
  let valkey: ValkeyServer
  let proxy: Awaited<ReturnType<typeof startS3FaultProxy>>
  const caches: S3Cache[] = []

  beforeAll(async () => {
    s3 = await startS3()
    valkey = await startValkey()
    proxy = await startS3FaultProxy(s3)
  })
  afterAll(async () => {
    for (const cache of caches) await cache.close()
    await proxy?.stop()
    await valkey?.stop()
    await s3?.stop()
    printTable(
      'Reliability: S3 faults (S3 fault proxy)',
      rows.filter((r) => r.scenario.startsWith('S3')),
    )
  })

  for (const mode of ['500', '503', 'slowdown', 'hang'] as const) {
    it(`S3 answering ${mode} (S3 fault proxy): warm keys served stale, cold keys OriginError, recovery`, {
      timeout: 60_000,
    }, async () => {
      const watch = watchProcess()
      const errors: Error[] = []
      const cache = createS3Cache({
        s3: proxy.client(),
        bucket: s3.bucket,
        valkey: valkey.url,
        keyPrefix: `s3c:s3f${mode}:`,
        ttl: 200,
        jitter: 0,
        staleTtl: '1m',
        negativeTtl: 0,
        timeouts: { s3: 400, revalidate: 100 },
        onEvent: (e) => {
          if (e.type === 'error') errors.push(e.error)
        },
      })
      caches.push(cache)
      const warm = `s3fault/${mode}/warm.json`
      const cold = `s3fault/${mode}/cold.json`
      await cache.put(warm, JSON.stringify({ key: warm, v: 1 }))
      await s3.client.send(
        new (await import('@aws-sdk/client-s3')).PutObjectCommand({
          Bucket: s3.bucket,
          Key: cold,
          Body: '{"v":1}',
        }),
      )
      await cache.get(warm)
      const row: Row = {
        scenario: `S3 ${mode}`,
        requests: 0,
        hits: 0,
        stale: 0,
        errors: 0,
        wrong: 0,
        untyped: 0,
      }
      proxy.set(mode)
      try {
        await sleep(250) // the warm entry is past fresh now
        const gets = [
          ...Array.from({ length: 15 }, () => ({ key: warm, v: 1 })),
          ...Array.from({ length: 5 }, () => ({ key: cold, v: 1 })),
        ]
        const results = await Promise.all(gets.map((g) => attempt(() => cache.get(g.key))))
        for (const [i, result] of results.entries()) {
          row.requests++
          const asked = gets[i] as { key: string; v: number }
          if (!result.ok) {
            if (result.typed) row.errors++
            else row.untyped++
            if (asked.key === warm)
              row.wrong++ // a warm key must be served stale, not fail
            else if (!(result.error instanceof OriginError)) row.untyped++
            continue
          }
          if (result.value.status === 'hit') row.hits++
          if (result.value.status === 'stale') row.stale++
          const doc = JSON.parse(new TextDecoder().decode(result.value.body)) as { v: number }
          if (doc.v !== asked.v || (asked.key === warm && result.value.status !== 'stale')) row.wrong++
        }
      } finally {
        proxy.set('pass')
      }
      const recovered = await untilHit(cache, warm)
      const coldAfter = await attempt(() => cache.get(cold))
      row.note = `recovered: ${recovered}, cold after: ${coldAfter.ok ? coldAfter.value.status : 'error'}; error events ${errors.length}; process faults ${watch.count}`
      rows.push(row)
      watch.stop()
      console.log(
        `[faults] S3 ${mode} (S3 fault proxy): ${row.requests} requests, ${row.hits} hits, ${row.stale} stale, ` +
          `${row.errors} typed errors, ${row.untyped} untyped, ${row.wrong} wrong; ${row.note}`,
      )
      expect(row.wrong).toBe(0)
      expect(row.untyped).toBe(0)
      expect(row.stale).toBe(15)
      expect(row.errors).toBe(5)
      expect(recovered).toBe('hit')
      expect(coldAfter.ok).toBe(true)
      expect(watch.count).toBe(0)
    })
  }
})
