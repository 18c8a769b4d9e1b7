import { GetObjectCommand } from '@aws-sdk/client-s3'
import {
  type S3Server,
  startS3,
  startS3FaultProxy,
  startValkey,
  type ValkeyServer,
  VersionHistory,
} from '@valkey-s3-cache/testkit'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createS3Cache, type S3Cache, type S3CacheOptions } from '../../src'
import { runDependencyRaces, runTagRaces } from './dependency-races'
import { attempt, printTable, type Row, sleep, watchProcess } from './support'

const TTL = 250
const STALE = 400
const SEED = 20251125
const RUNS = 30
/** Runs of each tags and dependencies scenario: each run builds values from several S3 reads. */
const DEPENDENCY_RUNS = 10

type Op =
  | { type: 'get'; cache: number; at: number }
  | { type: 'put'; cache: number; at: number }
  | { type: 'invalidate'; cache: number; at: number }

const opArb: fc.Arbitrary<Op> = fc.record({
  type: fc.constantFrom('get', 'get', 'get', 'put', 'invalidate'),
  cache: fc.integer({ min: 0, max: 2 }),
  // start offsets spread over 0..700 ms: wider than ttl (expiry) and lock ttl (lease expiry)
  at: fc.integer({ min: 0, max: 700 }),
}) as fc.Arbitrary<Op>

/** S3 behind a delaying proxy, one valkey-server and three caches on them, for the enclosing describe. */
function useRaceServers(
  title: string,
  delays: { requests: number; answers?: number },
  cacheOptions: Omit<S3CacheOptions, 's3' | 'bucket' | 'valkey'>,
) {
  const race = { s3: undefined as unknown as S3Server, caches: [] as S3Cache[], rows: [] as Row[] }
  let valkey: ValkeyServer | undefined
  let proxy: Awaited<ReturnType<typeof startS3FaultProxy>> | undefined
  beforeAll(async () => {
    race.s3 = await startS3()
    valkey = await startValkey()
    const started = await startS3FaultProxy(race.s3)
    proxy = started
    started.delay(delays.requests)
    if (delays.answers) started.delayAnswers(delays.answers)
    const url = valkey.url
    race.caches = [0, 1, 2].map(() =>
      createS3Cache({ s3: started.client(), bucket: race.s3.bucket, valkey: url, ...cacheOptions }),
    )
  })
  afterAll(async () => {
    for (const cache of race.caches) await cache.close()
    await proxy?.stop()
    await valkey?.stop()
    await race.s3?.stop()
    printTable(title, race.rows)
  })
  return race
}

describe('races: randomized interleavings across 3 caches (fast-check, real Valkey, S3 behind a delaying proxy)', () => {
  const race = useRaceServers(
    'Reliability: races (packages/core/test/reliability/races.test.ts)',
    { requests: 300 },
    {
      keyPrefix: 's3c:race:',
      ttl: TTL,
      staleTtl: STALE,
      jitter: 0,
      lock: { ttl: 150, wait: 100 },
      timeouts: { revalidate: 120, valkey: 500 },
    },
  )

  const s3Version = async (key: string) => {
    const answer = await race.s3.client.send(new GetObjectCommand({ Bucket: race.s3.bucket, Key: key }))
    return (JSON.parse(await (answer.Body?.transformToString() ?? '{}')) as { v: number }).v
  }

  const runScenario = async (label: string, serializePuts: boolean) => {
    const row: Row = { scenario: label, requests: 0, hits: 0, stale: 0, errors: 0, wrong: 0, untyped: 0 }
    let staleSets = 0
    let torn = 0
    let runs = 0
    const problems: string[] = []
    const watch = watchProcess()
    let run = 0
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(opArb, { minLength: 4, maxLength: 14 }), async (ops) => {
          runs++
          run++
          const key = `race/${label.replace(/\W+/g, '-')}/${run}.json`
          const history = new VersionHistory(0)
          const first = history.begin(key, 0)
          await race.caches[0]?.put(key, JSON.stringify({ v: 0 }))
          first.end = Date.now()
          let putChain: Promise<unknown> = Promise.resolve()
          const wrong: string[] = []
          await Promise.all(
            ops.map(async (op) => {
              await sleep(op.at)
              const cache = race.caches[op.cache] as S3Cache
              if (op.type === 'put') {
                const doPut = async () => {
                  const v = history.latest(key) + 1
                  const record = history.begin(key, v)
                  const result = await attempt(() => cache.put(key, JSON.stringify({ v })))
                  record.end = Date.now()
                  if (!result.ok) {
                    record.writeFailed = true
                    if (result.typed) row.errors++
                    else row.untyped++
                  }
                }
                if (serializePuts) {
                  putChain = putChain.then(doPut)
                  await putChain
                } else await doPut()
                return
              }
              if (op.type === 'invalidate') {
                const result = await attempt(() => cache.invalidate(key))
                if (!result.ok) result.typed ? row.errors++ : row.untyped++
                return
              }
              const start = Date.now()
              const result = await attempt(() => cache.get(key))
              const end = Date.now()
              row.requests++
              if (!result.ok) {
                result.typed ? row.errors++ : row.untyped++
                return
              }
              if (result.value.status === 'hit') row.hits++
              if (result.value.status === 'stale') row.stale++
              const text = new TextDecoder().decode(result.value.body)
              if (
                text === '' &&
                ['miss', 'bypass'].includes(result.value.status) &&
                history.writing(key, start, end)
              ) {
                torn++ // s3rver's in-place rewrite read mid-PUT (S3 itself is atomic)
                return
              }
              const { v } = JSON.parse(text) as { v: number }
              if (history.judge(key, v, start, end, result.value.status, STALE) === 'wrong') {
                wrong.push(
                  `get by cache ${op.cache} at +${op.at}: v${v} (${result.value.status}), latest v${history.latest(key)}`,
                )
              }
            }),
          )
          // Settled: every cache's fresh read must give what S3 holds now.
          const truth = await s3Version(key)
          for (const [i, cache] of race.caches.entries()) {
            const answer = await cache.get(key)
            const { v } = JSON.parse(new TextDecoder().decode(answer.body)) as { v: number }
            if (v !== truth) {
              staleSets++
              wrong.push(`after settle cache ${i}: v${v} (${answer.status}) but S3 holds v${truth}`)
            }
          }
          row.wrong += wrong.length
          if (wrong.length) problems.push(`${JSON.stringify(ops)} → ${wrong.join('; ')}`)
          return wrong.length === 0
        }),
        { seed: SEED, numRuns: RUNS, endOnFailure: true },
      )
    } finally {
      watch.stop()
      row.note = `${runs} runs (seed ${SEED}), ${staleSets} stale sets, ${torn} torn s3rver reads, process faults ${watch.count}`
      race.rows.push(row)
      console.log(
        `[races] ${label}: ${runs} runs, ${row.requests} gets, ${row.hits} hits, ${row.stale} stale, ` +
          `${row.errors} typed errors, ${row.untyped} untyped, ${row.wrong} wrong answers, ${staleSets} stale sets, ` +
          `unhandled ${watch.count}`,
      )
      if (problems.length) console.log(problems.slice(0, 3).join('\n'))
    }
    expect(row.untyped).toBe(0)
    expect(watch.count).toBe(0)
  }

  it('get / put / invalidate / ttl expiry / lease expiry (puts one at a time)', {
    timeout: 120_000,
  }, async () => {
    await runScenario('serialized puts', true)
  })

  it('get / put / invalidate with overlapping puts from different caches', { timeout: 120_000 }, async () => {
    await runScenario('overlapping puts', false)
  })
})

describe('races: tags and dependencies across 3 caches (fast-check, real Valkey, S3 behind a delaying proxy)', () => {
  const race = useRaceServers(
    'Reliability: races of tags and dependencies (packages/core/test/reliability/races.test.ts)',
    // Requests and answers both held up to 150 ms: a load's body may be older than S3 by the time it commits.
    { requests: 150, answers: 150 },
    {
      keyPrefix: 's3c:race-deps:',
      // Long enough for an entry stored after a change it raced with to outlive the run and be seen.
      ttl: 500,
      staleTtl: 1_000,
      jitter: 0,
      lock: { ttl: 150, wait: 100 },
      timeouts: { revalidate: 120, valkey: 500 },
    },
  )
  const setup = () => ({
    s3: race.s3,
    caches: race.caches,
    seed: SEED,
    runs: DEPENDENCY_RUNS,
    rows: race.rows,
  })

  it('tagged objects and a tagged wrap value changed outside the cache, then invalidateTags', {
    timeout: 120_000,
  }, async () => {
    const tally = await runTagRaces(setup(), 'tags: external writes, then invalidateTags')
    expect([tally.row.wrong, tally.staleSets, tally.row.untyped, tally.unhandled]).toEqual([0, 0, 0, 0])
    expect(tally.changes.external).toBeGreaterThan(0)
    expect(tally.removedByTags).toBeGreaterThan(0)
  })

  it('wrap values built through the loader cache while their objects change: put, invalidate, S3 event, invalidateTags', {
    timeout: 120_000,
  }, async () => {
    const tally = await runDependencyRaces(setup(), 'dependencies: values built from changing objects')
    expect([tally.row.wrong, tally.staleSets, tally.row.untyped, tally.unhandled]).toEqual([0, 0, 0, 0])
    for (const how of ['put', 'invalidate', 'event', 'tags']) expect(tally.changes[how]).toBeGreaterThan(0)
  })
})
