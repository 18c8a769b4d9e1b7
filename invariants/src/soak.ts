// npm run soak:memory -- [--minutes 10] [--concurrency 32] [--plot docs/reliability/soak-memory.svg]
//
// Memory and keys stay flat: mixed traffic (hits, misses, not-found, tagged values, values built from
// objects, puts, invalidations, invalidateTags, S3 events) through caches on a 3+3 cluster for a long
// while, with the heap (after a full GC), the number of Valkey keys and their memory sampled every
// 10 s. After a warm-up of a fifth of the run, each figure's last third must stay within a stated bound
// of its second third: the run fails (exit 1) when one grows beyond it, or when any call fails untyped.
import { writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { PutObjectCommand } from '@aws-sdk/client-s3'
import {
  createS3Cache,
  invalidateFromS3Event,
  ObjectNotFoundError,
  type S3Cache,
  S3CacheError,
} from '@valkey-s3-cache/core'
import { objectCreatedEvent, startS3, startValkeyCluster } from '@valkey-s3-cache/testkit'
import { Cluster, type Redis } from 'iovalkey'
import { plotSoak } from './soak-plot'

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '32' },
    plot: { type: 'string' },
    json: { type: 'string' },
  },
})
const minutes = Number(values.minutes)
const concurrency = Number(values.concurrency)
if (!(minutes > 0) || !Number.isInteger(concurrency) || concurrency < 1) {
  console.error('usage: npm run soak:memory -- [--minutes 10] [--concurrency 32] [--plot file.svg]')
  process.exit(2)
}
const gc = (globalThis as { gc?: () => void }).gc
if (!gc) {
  console.error('run with --expose-gc (npm run soak:memory does)')
  process.exit(2)
}

/** Growth allowed from the second third of the run to the last: heap and Valkey memory, and keys. */
export const BOUNDS = { heapMiB: 8, keysFraction: 0.1, valkeyMemoryFraction: 0.15 }

const HOT = 400 // objects read most, all cached
const COLD = 4000 // objects read rarely (misses, expiring entries, generation keys)
const TAGS = 40
const VALUES = 3000 // wrap keys
const body = (key: string, version: number) =>
  JSON.stringify({ key, version, pad: 'x'.repeat(300 + (version % 7) * 400) })

const s3 = await startS3()
const cluster = await startValkeyCluster({ primaries: 3, replicasPerPrimary: 1 })
const { nodes, options } = cluster.clusterOptions()
const admin = new Cluster(nodes, options)
admin.on('error', () => {})
const caches: S3Cache[] = [0, 1, 2].map((index) =>
  createS3Cache({
    s3: s3.newClient(),
    bucket: s3.bucket,
    valkey: cluster.url,
    ttl: '30s',
    staleTtl: '10s',
    negativeTtl: '10s',
    l1: index === 0 ? { ttl: '2s' } : false,
    onEvent: () => {},
  }),
)
const hot = (i: number) => `hot/${i}.json`
const cold = (i: number) => `cold/${i}.json`
const pick = (n: number) => Math.floor(Math.random() * n)
const versions = new Map<string, number>()
const write = async (key: string) => {
  const version = (versions.get(key) ?? 0) + 1
  versions.set(key, version)
  await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: body(key, version) }))
}
for (let i = 0; i < HOT; i++) await write(hot(i))
for (let i = 0; i < COLD; i += 2) await write(cold(i)) // the odd ones do not exist: cached "not found"

const counts = { operations: 0, typedErrors: 0, untyped: [] as string[] }
/** One call of the mix, through a random cache. */
async function operation(): Promise<void> {
  const cache = caches[pick(caches.length)] as S3Cache
  const roll = Math.random()
  if (roll < 0.5) await cache.getJson(hot(pick(HOT)))
  else if (roll < 0.62)
    await cache.getJson(cold(pick(COLD))).catch((e) => {
      if (!(e instanceof ObjectNotFoundError)) throw e
    })
  else if (roll < 0.74) {
    const tag = `tag-${pick(TAGS)}`
    await cache.wrap(`tagged/${pick(VALUES)}`, () => ({ tag, at: Date.now() }), { tags: [tag], ttl: '20s' })
  } else if (roll < 0.86) {
    await cache.wrap(
      `built/${pick(VALUES)}`,
      async ({ cache: reads }) => ({
        a: await reads.getJson(hot(pick(HOT))),
        b: await reads.getJson(hot(pick(HOT))),
      }),
      { ttl: '20s' },
    )
  } else if (roll < 0.91) {
    const key = hot(pick(HOT))
    const version = (versions.get(key) ?? 0) + 1
    versions.set(key, version)
    await cache.put(key, body(key, version), { tags: [`tag-${pick(TAGS)}`] })
  } else if (roll < 0.94) await cache.invalidate(hot(pick(HOT)))
  else if (roll < 0.96) await cache.invalidateTags([`tag-${pick(TAGS)}`])
  else {
    const key = Math.random() < 0.5 ? hot(pick(HOT)) : cold(pick(COLD))
    await write(key)
    await invalidateFromS3Event(cache, objectCreatedEvent(s3.bucket, { key }))
  }
}

interface Sample {
  seconds: number
  heapMiB: number
  keys: number
  valkeyMiB: number
  operations: number
}
const samples: Sample[] = []
const primaries = (): Redis[] => admin.nodes('master')
async function sample(seconds: number): Promise<Sample> {
  gc?.()
  let keys = 0
  let bytes = 0
  for (const node of primaries()) {
    keys += await node.dbsize()
    bytes += Number(/used_memory:(\d+)/.exec(String(await node.info('memory')))?.[1] ?? 0)
  }
  const taken = {
    seconds,
    heapMiB: process.memoryUsage().heapUsed / 2 ** 20,
    keys,
    valkeyMiB: bytes / 2 ** 20,
    operations: counts.operations,
  }
  samples.push(taken)
  console.log(
    `${String(seconds).padStart(5)} s  heap ${taken.heapMiB.toFixed(1)} MiB  keys ${keys}  Valkey ${taken.valkeyMiB.toFixed(1)} MiB  ${counts.operations} operations`,
  )
  return taken
}

const started = Date.now()
const endAt = started + minutes * 60_000
let running = true
const workers = Array.from({ length: concurrency }, async () => {
  while (running) {
    try {
      await operation()
    } catch (error) {
      if (error instanceof S3CacheError) counts.typedErrors++
      else counts.untyped.push(String((error as Error)?.stack ?? error))
    }
    counts.operations++
  }
})
await sample(0)
while (Date.now() < endAt) {
  await new Promise((resolve) => setTimeout(resolve, Math.min(10_000, endAt - Date.now())))
  await sample(Math.round((Date.now() - started) / 1000))
}
running = false
await Promise.all(workers)

// Steady state: the second and last thirds of the run, after the warm-up (the first fifth).
const after = samples.filter((s) => s.seconds >= (minutes * 60) / 5)
const third = Math.floor(after.length / 3)
const middle = after.slice(third, 2 * third)
const last = after.slice(2 * third)
const max = (list: Sample[], field: keyof Sample) => Math.max(...list.map((s) => s[field]))
const growth = {
  heapMiB: max(last, 'heapMiB') - max(middle, 'heapMiB'),
  keysFraction: max(last, 'keys') / max(middle, 'keys') - 1,
  valkeyMemoryFraction: max(last, 'valkeyMiB') / max(middle, 'valkeyMiB') - 1,
}
const failures = [
  ...(growth.heapMiB > BOUNDS.heapMiB
    ? [`heap grew ${growth.heapMiB.toFixed(1)} MiB (bound ${BOUNDS.heapMiB})`]
    : []),
  ...(growth.keysFraction > BOUNDS.keysFraction
    ? [`keys grew ${(growth.keysFraction * 100).toFixed(1)} %`]
    : []),
  ...(growth.valkeyMemoryFraction > BOUNDS.valkeyMemoryFraction
    ? [`Valkey memory grew ${(growth.valkeyMemoryFraction * 100).toFixed(1)} %`]
    : []),
  ...(counts.untyped.length > 0 ? [`${counts.untyped.length} untyped errors: ${counts.untyped[0]}`] : []),
]
const report = {
  minutes,
  concurrency,
  bounds: BOUNDS,
  growth,
  counts: { ...counts, untyped: counts.untyped.length },
  samples,
}
console.log(
  `\n${counts.operations} operations in ${minutes} min (${counts.typedErrors} typed errors); growth from the second third to the last: heap ${growth.heapMiB.toFixed(2)} MiB, keys ${(growth.keysFraction * 100).toFixed(1)} %, Valkey memory ${(growth.valkeyMemoryFraction * 100).toFixed(1)} %`,
)
if (values.json) writeFileSync(values.json, `${JSON.stringify(report, null, 1)}\n`)
if (values.plot) writeFileSync(values.plot, await plotSoak(samples))
for (const cache of caches) await cache.close()
admin.disconnect()
await cluster.stop()
await s3.stop()
console.log(
  failures.length > 0 ? `SOAK FAILED: ${failures.join('; ')}` : 'soak passed: memory and keys stayed flat',
)
process.exit(failures.length > 0 ? 1 : 0)
