// Randomized races between HTTP requests and object changes, judged by the reliability suite's
// version-history model: three Lambda instances (three caches, one Valkey) answer `GET /page?key=`
// with a response built from two objects, while put, invalidate, S3 events and invalidateTags change
// those objects. Every answer (HIT or MISS) must hold versions current at some instant of its request,
// and once the writes settle every instance must answer the newest versions: 0 stale sets.
import { PutObjectCommand } from '@aws-sdk/client-s3'
import type { S3Cache } from '@valkey-s3-cache/core'
import { s3EventInvalidator } from '@valkey-s3-cache/middy'
import { VersionHistory } from '@valkey-s3-cache/testkit'
import { describe, expect, it } from 'vitest'
import { type App, makeApp, type Respond, sleep } from './support/app'
import { v1Event } from './support/events'
import { s3Notification } from './support/s3-events'
import { useServers } from './support/servers'

const servers = useServers()

const RUNS = 24
const OPS_PER_RUN = 14
const SEED = 20261130

/** A small seeded generator (mulberry32): the same runs every time, so a failure can be replayed. */
function random(seed: number) {
  let state = seed
  return () => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

type Write = 'put' | 'invalidate' | 'event' | 'tag'
const WRITES: Write[] = ['put', 'invalidate', 'event', 'tag']

/** The page: the object named by `?key=` and the shared footer, each with its version. */
const page =
  (footer: string): Respond =>
  async (event, context) => {
    const key = event.queryStringParameters?.key ?? ''
    const [doc, foot] = await Promise.all([
      context.s3Cache.getJson<{ v: number }>(key),
      context.s3Cache.getJson<{ v: number }>(footer),
    ])
    return { statusCode: 200, body: JSON.stringify({ doc: doc.v, foot: foot.v }) }
  }

describe('httpCache responses under concurrent object changes (version history, three instances)', () => {
  it('answers only versions current during the request, and converges to the newest: 0 wrong, 0 stale sets', async () => {
    const next = random(SEED)
    const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)] as T
    const caches: S3Cache[] = [0, 1, 2].map(() => servers.makeCache().cache)
    const counts = { requests: 0, hits: 0, writes: 0, torn: 0, wrong: 0, staleSets: 0 }
    const problems: string[] = []

    for (let run = 0; run < RUNS; run++) {
      const [doc, footer] = [`race/${run}/doc.json`, `race/${run}/footer.json`]
      const tagOf = (key: string) => `tag:${key}`
      const apps: App[] = caches.map((cache) =>
        makeApp({ cache, respond: page(footer), http: { ttl: '1h' } }),
      )
      const history = new VersionHistory(0)
      /** Writes `v` of `key` straight to S3, keeping its tag as `put` does (another writer, not the cache). */
      const writeS3 = (key: string, v: number) =>
        servers.s3.client.send(
          new PutObjectCommand({
            Bucket: servers.s3.bucket,
            Key: key,
            Body: JSON.stringify({ v }),
            ContentType: 'application/json',
            Metadata: { 'cache-tags': encodeURIComponent(tagOf(key)) },
          }),
        )
      for (const key of [doc, footer]) {
        const first = history.begin(key, 0)
        await (caches[0] as S3Cache).put(key, JSON.stringify({ v: 0 }), { tags: [tagOf(key)] })
        first.end = Date.now()
      }
      // One writer per key at a time: each write's version is current from its start (the model's rule).
      const chains = new Map<string, Promise<void>>([
        [doc, Promise.resolve()],
        [footer, Promise.resolve()],
      ])
      const ops = Array.from({ length: OPS_PER_RUN }, () => ({
        at: Math.floor(next() * 40),
        instance: Math.floor(next() * 3),
        kind: next() < 0.4 ? pick(WRITES) : ('read' as const),
        key: next() < 0.6 ? doc : footer,
      }))
      await Promise.all(
        ops.map(async (op) => {
          await sleep(op.at)
          const cache = caches[op.instance] as S3Cache
          if (op.kind !== 'read') {
            const write = async () => {
              const v = history.latest(op.key) + 1
              const record = history.begin(op.key, v)
              counts.writes++
              if (op.kind === 'put') {
                await cache.put(op.key, JSON.stringify({ v }), { tags: [tagOf(op.key)] })
              } else {
                await writeS3(op.key, v)
                if (op.kind === 'invalidate') await cache.invalidate(op.key)
                else if (op.kind === 'event')
                  await s3EventInvalidator({ cache })(s3Notification(servers.s3.bucket, op.key))
                else await cache.invalidateTags([tagOf(op.key)])
              }
              record.end = Date.now()
            }
            const chained = (chains.get(op.key) as Promise<void>).then(write)
            chains.set(op.key, chained)
            return chained
          }
          const start = Date.now()
          const answer = await (apps[op.instance] as App).invoke(
            v1Event({ path: '/page', query: { key: doc } }),
          )
          const end = Date.now()
          counts.requests++
          if (answer.statusCode !== 200) {
            // s3rver rewrites a file in place: a read during its PUT may see it empty (S3 itself is atomic).
            if (history.writing(doc, start, end) || history.writing(footer, start, end)) counts.torn++
            else problems.push(`run ${run}: status ${answer.statusCode} ${answer.body}`)
            return
          }
          if (answer.headers?.['x-cache'] === 'HIT') counts.hits++
          const got = JSON.parse(answer.body) as { doc: number; foot: number }
          for (const [key, v] of [
            [doc, got.doc],
            [footer, got.foot],
          ] as const) {
            if (history.judge(key, v, start, end) === 'wrong') {
              counts.wrong++
              problems.push(
                `run ${run}: instance ${op.instance} answered ${key} v${v} (${answer.headers?.['x-cache']}), latest v${history.latest(key)}`,
              )
            }
          }
        }),
      )
      // Settled: every instance answers the newest versions, whether from its stored response or not.
      for (const [i, app] of apps.entries()) {
        const answer = await app.invoke(v1Event({ path: '/page', query: { key: doc } }))
        const got = JSON.parse(answer.body) as { doc: number; foot: number }
        const want = { doc: history.latest(doc), foot: history.latest(footer) }
        if (got.doc !== want.doc || got.foot !== want.foot) {
          counts.staleSets++
          problems.push(
            `run ${run}: after settle instance ${i} answered ${answer.body}, S3 holds ${JSON.stringify(want)}`,
          )
        }
      }
    }
    console.log(
      `[http races] ${RUNS} runs (seed ${SEED}): ${counts.requests} requests, ${counts.hits} hits, ` +
        `${counts.writes} writes (put, invalidate, S3 event, invalidateTags), ${counts.torn} torn s3rver reads, ` +
        `${counts.wrong} wrong answers, ${counts.staleSets} stale sets`,
    )
    expect(problems.slice(0, 5)).toEqual([])
    expect(counts.hits).toBeGreaterThan(0)
  })
})
