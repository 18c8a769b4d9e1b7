import type { S3Cache } from '@valkey-s3-cache/core'
import type { Redis } from 'iovalkey'
import { objectTarget, tagKeys, tagLogKey } from '../../../packages/core/src/keys'
import { TAG_HIT_IDS } from '../contenders'
import { DEPENDENCY_KEY } from '../contenders/core'
import { countedS3 } from '../contenders/origin'
import { createS3Cache } from '../core-module'
import { type BenchEnv, putDoc } from '../env'
import type { Settings } from '../settings'
import { median, round } from '../stats'
import { type CommandCounts, type CommandWatch, count, watchCommands } from './round-trips'
import { type CellResult, forEachLimit, runTimed } from './timed'

/** Valkey commands of one operation on tags or dependencies. */
export interface TagCommands extends CommandCounts {
  id: string
  /** What one operation is. */
  what: string
  /** Operations counted (the figures are per operation). */
  ops: number
  /** For a removal: the entries it removed with it (tag members, dependents), and the figures per such entry. */
  members?: number
  perMember?: { commands: number; sent: number }
}

/** Valkey memory of a tag's set and of an object's dependents set with `members` members. */
export interface TagMemory {
  members: number
  tagSetBytes: number
  tagBytesPerMember: number
  tagEncoding: string
  dependentsSetBytes: number
  dependentBytesPerMember: number
  dependentsEncoding: string
}

/** `invalidateTags` of one tag with `members` members: wall time of the call. */
export interface TagInvalidation {
  members: number
  runsMs: number[]
  medianMs: number
  /** Median time per member removed, µs. */
  perMemberUs: number
}

export interface TagsResult {
  keyPrefix: string
  commands: TagCommands[]
  memory: TagMemory[]
  /** The tag log after `invalidateTags` of `tags` distinct tags. */
  tagLog: { tags: number; bytes: number; bytesPerTag: number; encoding: string }
  invalidations: TagInvalidation[]
  /** Hits of an untagged, a tagged and a dependent `wrap` value (the first is the floor of the ratios). */
  hits: CellResult[]
}

/** The cache's key prefix (core's default, stated so the set keys below are known). */
const KEY_PREFIX = 's3c:'
/** Misses and puts averaged per row (their counts do not vary; a few guard against a stray one). */
const MISSES = 5
/** Builds of tag members and dependents at once. */
const BUILD_CONCURRENCY = 16

const A_KEY = 'tags/a.json'
const B_KEY = 'tags/b.json'

type Log = (line: string) => void

const show = (byCommand: Record<string, number>) =>
  Object.entries(byCommand)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')

/** `wrap` values under `prefix`, `count` of them, each tagged `tags` and/or reading `reads` through its context's cache. */
async function buildValues(
  cache: S3Cache,
  prefix: string,
  count: number,
  options: { tags?: string[]; reads?: string[] },
): Promise<void> {
  const ids = Array.from({ length: count }, (_, i) => i)
  await forEachLimit(ids, BUILD_CONCURRENCY, async (i) => {
    await cache.wrap(
      `${prefix}/${i}`,
      async (context) => {
        for (const key of options.reads ?? []) await context.cache.getJson(key)
        return { i }
      },
      options.tags ? { tags: options.tags } : {},
    )
  })
}

async function memoryUsage(admin: Redis, key: string): Promise<{ bytes: number; encoding: string }> {
  const bytes = Number(await admin.memory('USAGE', key, 'SAMPLES', 0))
  const encoding = String(await admin.object('ENCODING', key))
  return { bytes, encoding }
}

/** Commands per hit, miss, put and removal. */
async function countCommands(
  env: BenchEnv,
  cache: S3Cache,
  watch: CommandWatch,
  settings: Settings,
  log: Log,
): Promise<TagCommands[]> {
  const { admin } = env
  const members = settings.tagMembers[0] ?? 10
  const hits = settings.countedHits
  const out: TagCommands[] = []
  const add = (id: string, what: string, ops: number, counts: CommandCounts, removed?: number) => {
    // By name: INFO lists commands in no stable order.
    const byCommand = Object.fromEntries(
      Object.entries(counts.byCommand).sort(([a], [b]) => a.localeCompare(b)),
    )
    const row: TagCommands = { id, what, ops, ...counts, byCommand }
    if (removed !== undefined) {
      row.members = removed
      row.perMember = { commands: round(counts.commands / removed), sent: round(counts.sent / removed) }
    }
    out.push(row)
    log(
      `  ${what.padEnd(50)} ${counts.sent} sent / ${counts.commands} run (${show(byCommand)})` +
        (row.perMember ? `  per member: ${row.perMember.sent} sent / ${row.perMember.commands} run` : ''),
    )
  }
  const tagged = () => cache.wrap('hit/tagged', () => ({ tagged: true }), { tags: ['hit-tag'] })
  const dependent = () =>
    cache.wrap('hit/dependent', async ({ cache: reads }) => ({
      a: await reads.getJson(A_KEY),
      b: await reads.getJson(B_KEY),
    }))
  await tagged()
  await dependent()
  add(
    'hit-tagged',
    'hit: wrap value with 1 tag',
    hits,
    await count(admin, watch, hits, async () => {
      for (let i = 0; i < hits; i++) await tagged()
    }),
  )
  add(
    'hit-dependencies',
    'hit: wrap value with 2 dependencies',
    hits,
    await count(admin, watch, hits, async () => {
      for (let i = 0; i < hits; i++) await dependent()
    }),
  )

  const missKeys = Array.from({ length: MISSES }, (_, i) => `tags/miss-${i}.json`)
  for (const key of missKeys) await putDoc(env.s3.client, key, '{"miss":true}')
  add(
    'miss-object',
    'miss: object, untagged (get)',
    MISSES,
    await count(admin, watch, MISSES, async () => {
      for (const key of missKeys) await cache.get(key)
    }),
  )
  const wrapMisses = async (prefix: string, options: { tags?: string[]; reads?: string[] }) =>
    count(admin, watch, MISSES, async () => {
      for (let i = 0; i < MISSES; i++) await buildValues(cache, `${prefix}-${i}`, 1, options)
    })
  add('miss-wrap-1-tag', 'miss: wrap value with 1 tag', MISSES, await wrapMisses('miss/1', { tags: ['m1'] }))
  add(
    'miss-wrap-3-tags',
    'miss: wrap value with 3 tags',
    MISSES,
    await wrapMisses('miss/3', { tags: ['m1', 'm2', 'm3'] }),
  )
  add(
    'miss-wrap-dependencies',
    'miss: wrap value with 2 dependencies (both cached)',
    MISSES,
    await wrapMisses('miss/deps', { reads: [A_KEY, B_KEY] }),
  )
  add(
    'put-1-tag',
    'put with 1 tag',
    MISSES,
    await count(admin, watch, MISSES, async () => {
      for (let i = 0; i < MISSES; i++) await cache.put(`tags/put-${i}.json`, '{"put":true}', { tags: ['p1'] })
    }),
  )

  const target = 'tags/depended-on.json'
  await putDoc(env.s3.client, target, '{"depended":true}')
  await buildValues(cache, 'dependent', members, { reads: [target] })
  let invalidated = false
  add(
    'invalidate-dependents',
    `invalidate of an object with ${members} dependents`,
    1,
    await count(admin, watch, 1, async () => {
      invalidated = await cache.invalidate(target)
    }),
    members,
  )
  if (!invalidated) throw new Error('invalidate removed nothing')
  await buildValues(cache, 'member', members, { tags: ['members'] })
  let removed = 0
  add(
    'invalidate-tags',
    `invalidateTags of a tag with ${members} members`,
    1,
    await count(admin, watch, 1, async () => {
      removed = await cache.invalidateTags(['members'])
    }),
    members,
  )
  if (removed !== members) throw new Error(`invalidateTags removed ${removed} of ${members} members`)
  return out
}

/** Bytes of a tag's set and of an object's dependents set, per member; bytes of the tag log per tag. */
async function measureMemory(
  env: BenchEnv,
  cache: S3Cache,
  settings: Settings,
  log: Log,
): Promise<Pick<TagsResult, 'memory' | 'tagLog'>> {
  const { admin } = env
  const memory: TagMemory[] = []
  for (const members of settings.tagMembers) {
    const tag = `memory-${members}`
    const object = `tags/memory-${members}.json`
    await putDoc(env.s3.client, object, '{"memory":true}')
    await buildValues(cache, `memory/tagged-${members}`, members, { tags: [tag] })
    await buildValues(cache, `memory/dependent-${members}`, members, { reads: [object] })
    const tagSet = tagKeys(KEY_PREFIX, tag).members
    const dependents = objectTarget(KEY_PREFIX, env.endpoints.bucket, object).keys.dependents
    for (const set of [tagSet, dependents]) {
      const cardinality = await admin.zcard(set)
      if (cardinality !== members) throw new Error(`${set} holds ${cardinality} members, not ${members}`)
    }
    const t = await memoryUsage(admin, tagSet)
    const d = await memoryUsage(admin, dependents)
    const row: TagMemory = {
      members,
      tagSetBytes: t.bytes,
      tagBytesPerMember: round(t.bytes / members),
      tagEncoding: t.encoding,
      dependentsSetBytes: d.bytes,
      dependentBytesPerMember: round(d.bytes / members),
      dependentsEncoding: d.encoding,
    }
    memory.push(row)
    log(
      `  ${String(members).padStart(5)} members: tag set ${row.tagSetBytes} B (${row.tagBytesPerMember} B/member, ${row.tagEncoding}), ` +
        `dependents set ${row.dependentsSetBytes} B (${row.dependentBytesPerMember} B/member, ${row.dependentsEncoding})`,
    )
  }
  // A fresh log, then one invalidation of as many tags as the largest set has members.
  const logKey = tagLogKey(KEY_PREFIX)
  await admin.del(logKey)
  const tags = Math.max(...settings.tagMembers)
  await cache.invalidateTags(Array.from({ length: tags }, (_, i) => `logged-${i}`))
  const usage = await memoryUsage(admin, logKey)
  const tagLog = {
    tags,
    bytes: usage.bytes,
    bytesPerTag: round(usage.bytes / tags),
    encoding: usage.encoding,
  }
  log(`  tag log with ${tags} tags: ${tagLog.bytes} B (${tagLog.bytesPerTag} B/tag, ${tagLog.encoding})`)
  return { memory, tagLog }
}

/** Wall time of `invalidateTags` of one tag with each of `settings.tagMembers` members, median of `tagRuns` after a warm-up. */
async function timeInvalidations(cache: S3Cache, settings: Settings, log: Log): Promise<TagInvalidation[]> {
  const out: TagInvalidation[] = []
  for (const members of settings.tagMembers) {
    const runsMs: number[] = []
    // Run 0 is an untimed warm-up.
    for (let run = 0; run <= settings.tagRuns; run++) {
      const tag = `timed-${members}-${run}`
      await buildValues(cache, `timed/${members}/${run}`, members, { tags: [tag] })
      const t0 = performance.now()
      const removed = await cache.invalidateTags([tag])
      if (run > 0) runsMs.push(round(performance.now() - t0))
      if (removed !== members) throw new Error(`invalidateTags removed ${removed} of ${members} members`)
    }
    const medianMs = round(median(runsMs))
    const row = { members, runsMs, medianMs, perMemberUs: round((medianMs * 1000) / members) }
    out.push(row)
    log(
      `  invalidateTags, ${String(members).padStart(5)} members: ${medianMs} ms median (${runsMs.join(', ')}), ${row.perMemberUs} µs/member`,
    )
  }
  return out
}

/**
 * Scenario 10: what tags and dependencies cost, core only. Valkey commands per hit, miss, put and
 * removal (as the round-trip scenario counts them), Valkey memory per tag member, per dependent and
 * per logged tag, the time of `invalidateTags`, and hits of tagged and dependent `wrap` values
 * against untagged ones (as the hit scenarios time them).
 */
export async function runTags(env: BenchEnv, settings: Settings, log: Log): Promise<TagsResult> {
  const { admin } = env
  const small = [...env.docs].sort((a, b) => a.sizeKiB - b.sizeKiB)[0]
  if (!small) throw new Error('no document')
  await admin.flushall()
  await putDoc(env.s3.client, DEPENDENCY_KEY, '{"dependency":true}')
  await putDoc(env.s3.client, A_KEY, '{"a":1}')
  await putDoc(env.s3.client, B_KEY, '{"b":1}')
  log('  hits (wrap values):')
  const hits = await runTimed(
    env,
    settings,
    TAG_HIT_IDS,
    [{ sizeKiB: small.sizeKiB, concurrency: 1, keys: 1 }],
    log,
  )
  await admin.flushall()
  const { s3 } = countedS3(env.endpoints)
  const cache = createS3Cache({
    s3,
    bucket: env.endpoints.bucket,
    valkey: `valkey://${env.endpoints.valkeyHost}:${env.endpoints.valkeyPort}`,
    keyPrefix: KEY_PREFIX,
    ttl: '1h',
  })
  try {
    // Connects and loads the scripts outside the counts.
    await cache.connect()
    await cache.wrap('warm', () => 1, { tags: ['warm'] })
    log('  Valkey commands per operation:')
    // MONITOR slows the server: on for the counts only.
    const watch = await watchCommands(admin)
    const commands = await countCommands(env, cache, watch, settings, log).finally(() => watch.stop())
    log('  memory:')
    const { memory, tagLog } = await measureMemory(env, cache, settings, log)
    log('  time:')
    const invalidations = await timeInvalidations(cache, settings, log)
    return { keyPrefix: KEY_PREFIX, commands, memory, tagLog, invalidations, hits }
  } finally {
    await cache.close()
    s3.destroy()
    await admin.flushall()
  }
}
