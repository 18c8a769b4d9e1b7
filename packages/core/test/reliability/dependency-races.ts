// Randomized races of tags and dependencies across three caches on one Valkey (three processes'
// caches): objects and `wrap` values change by `put`, or by an S3 write that bypasses the cache
// followed by `invalidate`, an S3 event or `invalidateTags`, interleaved with reads. Every answer is
// judged against a VersionHistory of what each object (or the source of a `wrap` value) held; once
// the writes have settled, every cache must answer the final versions: an older one would be a stale
// set, a value stored after a change it raced with.
//
// A version's write is [S3 write begins, the cache learns of it]: from the put's start to its end,
// or from the S3 write's start to the end of the invalidate, event or invalidateTags that followed
// it. Changes of one object run one at a time, as S3 orders the writes of one key (and as an S3
// event's sequencer says); reads run freely against them.
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { type S3Server, VersionHistory } from '@valkey-s3-cache/testkit'
import fc from 'fast-check'
import { invalidateFromS3Event, type ReadStatus, type S3Cache, SchemaValidationError } from '../../src'
import { TAGS_METADATA, tagsMetadata } from '../../src/tags'
import { nextSequencer, notification } from '../support/events'
import { attempt, type Row, sleep, watchProcess } from './support'

export interface RaceSetup {
  s3: S3Server
  /** Three caches on one Valkey, as three processes would have. */
  caches: S3Cache[]
  seed: number
  runs: number
  /** The summary table's rows: each scenario adds its own, failed or not. */
  rows: Row[]
}

const decoder = new TextDecoder()
const OBJECTS = 3

/**
 * Calls in progress per cache and key. Concurrent reads of one key in one cache share one flight, so
 * a read may answer what a flight begun by an earlier call found: it is judged from the start of the
 * earliest call still in progress when it began (S3's and Valkey's answers came after that).
 */
class Joins {
  private readonly open = new Map<string, Set<{ from: number }>>()

  begin(cache: number, id: string) {
    const slot = `${cache}\0${id}`
    const calls = this.open.get(slot) ?? new Set<{ from: number }>()
    this.open.set(slot, calls)
    let from = Date.now()
    for (const call of calls) from = Math.min(from, call.from)
    const call = { from }
    calls.add(call)
    return { from, done: () => calls.delete(call) }
  }
}

/** Runs the changes of each key one at a time (a change of several keys waits for all of them). */
class Chains {
  private readonly tails = new Map<string, Promise<unknown>>()

  run(keys: readonly string[], change: () => Promise<void>): Promise<void> {
    const result = Promise.all(keys.map((key) => this.tails.get(key))).then(change)
    const tail = result.catch(() => {})
    for (const key of keys) this.tails.set(key, tail)
    return result
  }
}

/** s3rver rewrites an object's file in place, so a read racing an S3 write can find it empty or partial. */
class TornRead extends Error {
  readonly key: string
  /** The read's span. */
  readonly from: number
  readonly end = Date.now()

  constructor(key: string, from: number) {
    super(`torn s3rver read of ${key}`)
    this.key = key
    this.from = from
  }
}

/** One object's version as a value built from it carries it, with when the read that returned it began. */
type Part = { key: string; v: number; from: number }
type Built = { parts: Part[] }

const body = (key: string, v: number) => JSON.stringify({ key, v })

/** `{ key, v }` as the scenarios write it, or `undefined` for anything else (a torn read). */
function versionOf(key: string, text: string): number | undefined {
  try {
    const doc = JSON.parse(text) as { key?: unknown; v?: unknown }
    if (doc.key === key && typeof doc.v === 'number') return doc.v
  } catch {}
  return undefined
}

/**
 * The parts of a `wrap` value, each with the time from which it is judged: a value this call's flight
 * loaded (`miss`, `bypass`) is as old as the reads its loader made, which may themselves have joined
 * earlier flights; a stored value (`hit`, `stale`) was read from Valkey during the call.
 */
function partsOf(value: Built, status: ReadStatus | undefined, from: number): Part[] {
  const loaded = status === 'miss' || status === 'bypass'
  return value.parts.map((part) => ({ ...part, from: loaded ? Math.min(part.from, from) : from }))
}

/** Counts of one scenario, printed as a table row and a summary line. */
class Tally {
  readonly row: Row
  staleSets = 0
  torn = 0
  runs = 0
  reads = { get: 0, wrap: 0 }
  removedByTags = 0
  readonly changes: Record<string, number> = {}
  readonly problems: string[] = []
  readonly errorNames = new Map<string, number>()

  constructor(scenario: string) {
    this.row = { scenario, requests: 0, hits: 0, stale: 0, errors: 0, wrong: 0, untyped: 0 }
  }

  answered(status: ReadStatus | undefined) {
    if (status === 'hit') this.row.hits++
    if (status === 'stale') this.row.stale++
  }

  failed(result: { error: unknown; typed: boolean }) {
    if (result.typed) this.row.errors++
    else this.row.untyped++
    const name = `${(result.error as Error)?.name}: ${String((result.error as Error)?.message).slice(0, 60)}`
    this.errorNames.set(name, (this.errorNames.get(name) ?? 0) + 1)
  }

  changed(kind: string) {
    this.changes[kind] = (this.changes[kind] ?? 0) + 1
  }
}

/** What every scenario's run shares: the version history, the flights, the change chains and the answers judged wrong. */
class Trial {
  readonly history = new VersionHistory(0)
  readonly joins = new Joins()
  readonly chains = new Chains()
  readonly wrong: string[] = []

  readonly s3: S3Server
  readonly tally: Tally

  constructor(s3: S3Server, tally: Tally) {
    this.s3 = s3
    this.tally = tally
  }

  /** An S3 write that bypasses the cache (an external writer), keeping the tags `put` would have kept. */
  async writeS3(key: string, v: number, tags: readonly string[]) {
    await this.s3.client.send(
      new PutObjectCommand({
        Bucket: this.s3.bucket,
        Key: key,
        Body: body(key, v),
        ContentType: 'application/json',
        Metadata: { [TAGS_METADATA]: tagsMetadata(tags) },
      }),
    )
  }

  /** The version S3 holds now, read without the cache. */
  async s3Version(key: string): Promise<number | undefined> {
    const answer = await this.s3.client.send(new GetObjectCommand({ Bucket: this.s3.bucket, Key: key }))
    return versionOf(key, (await answer.Body?.transformToString()) ?? '')
  }

  /**
   * A change of `keys` to their next versions: `write` makes it and resolves whether the cache was told.
   * A writer whose cache update failed (counted as an error) tells it again with `retry`, up to 3 times,
   * as it must for the cache to learn of the change: the version's write ends when the cache knows.
   */
  async change(
    keys: readonly string[],
    kind: string,
    write: (versions: number[]) => Promise<boolean>,
    retry: (versions: number[]) => Promise<boolean>,
  ) {
    await this.chains.run(keys, async () => {
      const versions = keys.map((key) => this.history.latest(key) + 1)
      const records = keys.map((key, i) => this.history.begin(key, versions[i] as number))
      let ok = await write(versions)
      for (let i = 0; !ok && i < 3; i++) ok = await retry(versions)
      const end = Date.now()
      for (const record of records) {
        record.end = end
        record.writeFailed = !ok
      }
      this.tally.changed(kind)
    })
  }

  /** Runs one cache update of a change: resolves whether it succeeded, counting a failure. */
  async told(update: () => Promise<unknown>): Promise<boolean> {
    const result = await attempt(update)
    if (!result.ok) this.tally.failed(result)
    return result.ok
  }

  /** Removes `tags`, counting what was removed. */
  invalidateTags(cache: S3Cache, tags: readonly string[]): Promise<boolean> {
    return this.told(async () => {
      this.tally.removedByTags += await cache.invalidateTags(tags)
    })
  }

  /** Judges a version answered for `key` by a read over [from, end]. */
  judge(key: string, v: number, from: number, end: number, what: string) {
    if (this.history.judge(key, v, from, end) === 'wrong') {
      this.wrong.push(`${what}: ${key} v${v} over [${from}, ${end}], latest v${this.history.latest(key)}`)
    }
  }

  /** A `get` of an object, judged. */
  async get(cache: S3Cache, index: number, key: string, what: string) {
    const call = this.joins.begin(index, `o:${key}`)
    const result = await attempt(() => cache.get(key))
    const end = Date.now()
    call.done()
    this.tally.row.requests++
    this.tally.reads.get++
    if (!result.ok) return this.tally.failed(result)
    this.tally.answered(result.value.status)
    const v = versionOf(key, decoder.decode(result.value.body))
    if (v !== undefined) return this.judge(key, v, call.from, end, `${what} (${result.value.status})`)
    if (this.history.writing(key, call.from, end)) this.tally.torn++
    else this.wrong.push(`${what}: ${key} answered ${JSON.stringify(decoder.decode(result.value.body))}`)
  }

  /** A read of a `wrap` value built by `read`, judged part by part; a torn part read during its write is counted apart. */
  async wrap(read: () => Promise<{ parts: Part[]; status: ReadStatus | undefined }>, what: string) {
    const result = await attempt(read)
    const end = Date.now()
    this.tally.row.requests++
    this.tally.reads.wrap++
    if (!result.ok) {
      const { error } = result
      if (!(error instanceof TornRead)) return this.tally.failed(result)
      if (this.history.writing(error.key, error.from, error.end)) this.tally.torn++
      else
        this.wrong.push(
          `${what}: torn read of ${error.key} over [${error.from}, ${error.end}], outside its writes`,
        )
      return
    }
    this.tally.answered(result.value.status)
    for (const part of result.value.parts)
      this.judge(part.key, part.v, part.from, end, `${what} (${result.value.status})`)
  }

  /** After the writes: what `answered` holds must be the final version (S3's, or `truth`'s). */
  settled(key: string, answered: number | undefined, truth: number | undefined, what: string) {
    if (answered === truth) return
    this.tally.staleSets++
    this.wrong.push(`after settle ${what}: ${key} v${answered} but the source holds v${truth}`)
  }
}

/** Runs `property` over `arbitrary` with the scenario's counts printed (and its row added) whatever the outcome. */
async function runScenario<Op>(
  setup: RaceSetup,
  label: string,
  arbitrary: fc.Arbitrary<Op[]>,
  trial: (tally: Tally, ops: Op[], run: number) => Promise<string[]>,
): Promise<Tally & { unhandled: number }> {
  const tally = new Tally(label)
  const watch = watchProcess()
  try {
    await fc.assert(
      fc.asyncProperty(arbitrary, async (ops) => {
        tally.runs++
        const wrong = await trial(tally, ops, tally.runs)
        tally.row.wrong += wrong.length
        if (wrong.length) tally.problems.push(`${JSON.stringify(ops)} → ${wrong.slice(0, 4).join('; ')}`)
        return wrong.length === 0
      }),
      { seed: setup.seed, numRuns: setup.runs, endOnFailure: true },
    )
  } finally {
    watch.stop()
    const { row } = tally
    const changes = JSON.stringify(tally.changes)
    row.note =
      `${tally.runs} runs (seed ${setup.seed}), ${tally.staleSets} stale sets, ${tally.torn} torn s3rver reads, ` +
      `changes ${changes}, invalidateTags removed ${tally.removedByTags} entries, process faults ${watch.count}; ` +
      `errors ${JSON.stringify(Object.fromEntries(tally.errorNames))}`
    setup.rows.push(row)
    console.log(
      `[races] ${label}: ${tally.runs} runs, ${row.requests} reads (${tally.reads.get} gets, ${tally.reads.wrap} wraps), ` +
        `${row.hits} hits, ${row.stale} stale, ${row.errors} typed errors, ${row.untyped} untyped, ` +
        `${row.wrong} wrong answers, ${tally.staleSets} stale sets, changes ${changes}, ` +
        `invalidateTags removed ${tally.removedByTags}, ${tally.torn} torn, unhandled ${watch.count}`,
    )
    if (tally.errorNames.size) console.log(`[races] ${label}: errors`, Object.fromEntries(tally.errorNames))
    if (tally.problems.length) console.log(tally.problems.slice(0, 3).join('\n'))
  }
  return Object.assign(tally, { unhandled: watch.count })
}

const cacheArb = fc.integer({ min: 0, max: 2 })
// Start offsets over 0..600 ms: past the entries' ttl and the lease's, within the suite's time budget.
const atArb = fc.integer({ min: 0, max: 600 })
const objectArb = fc.integer({ min: 0, max: OBJECTS - 1 })

type TagOp =
  | { type: 'get'; cache: number; at: number; object: number }
  | { type: 'wrap'; cache: number; at: number }
  | { type: 'put'; cache: number; at: number; object: number }
  /** S3 writes (or the wrap value's source changes) for the targets in the bitmask (bits 0–2: objects, 3: value), then invalidateTags. */
  | { type: 'external'; cache: number; at: number; targets: number; own: boolean }

const tagOpArb = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({ type: fc.constant('get'), cache: cacheArb, at: atArb, object: objectArb }),
  },
  { weight: 3, arbitrary: fc.record({ type: fc.constant('wrap'), cache: cacheArb, at: atArb }) },
  {
    weight: 1,
    arbitrary: fc.record({ type: fc.constant('put'), cache: cacheArb, at: atArb, object: objectArb }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      type: fc.constant('external'),
      cache: cacheArb,
      at: atArb,
      targets: fc.integer({ min: 1, max: 15 }),
      own: fc.boolean(),
    }),
  },
) as fc.Arbitrary<TagOp>

/**
 * (a) Tagged objects (put with tags) and a tagged `wrap` value whose source is outside S3; an external
 * writer changes objects in S3 directly (or the value's source) and then calls `invalidateTags`, of the
 * group tag or of each changed target's own. Once it resolves, no read may answer an older version.
 */
export function runTagRaces(setup: RaceSetup, label: string) {
  const { caches, s3 } = setup
  return runScenario(
    setup,
    label,
    fc.array(tagOpArb, { minLength: 8, maxLength: 20 }),
    async (tally, ops, run) => {
      const trial = new Trial(s3, tally)
      const base = `race-tags/${run}`
      const objects = Array.from({ length: OBJECTS }, (_, i) => `${base}/object-${i}.json`)
      const valueKey = `${base}/value`
      const group = `${base}#group`
      const own = [...objects, valueKey].map((key) => `${key}#own`)
      const tagsOf = (target: number) => [group, own[target] as string]
      // The wrap value's source (a database, say): read at the start of a load, which then takes a while.
      const source = { v: 0 }
      const loadValue = async ({ setTags }: { setTags: (tags: readonly string[]) => void }) => {
        const v = source.v
        await sleep(Math.floor(Math.random() * 150))
        setTags([own[OBJECTS] as string])
        return { key: valueKey, v }
      }
      const readValue = async (cache: S3Cache, index: number) => {
        const call = trial.joins.begin(index, `w:${valueKey}`)
        let status: ReadStatus | undefined
        try {
          const value = await cache.wrap(valueKey, loadValue, {
            tags: [group],
            onStatus: (s) => {
              status = s
            },
          })
          if (value.key !== valueKey) throw new Error(`wrap ${valueKey} answered ${JSON.stringify(value)}`)
          // The loader read its source during this call's flight.
          return { parts: [{ key: valueKey, v: value.v, from: call.from }], status }
        } finally {
          call.done()
        }
      }

      await Promise.all(
        objects.map(async (key, i) => {
          const record = trial.history.begin(key, 0)
          await caches[0]?.put(key, body(key, 0), { tags: tagsOf(i) })
          record.end = Date.now()
        }),
      )
      trial.history.begin(valueKey, 0).end = Date.now()

      await Promise.all(
        ops.map(async (op) => {
          await sleep(op.at)
          const cache = caches[op.cache] as S3Cache
          const what = `${op.type} by cache ${op.cache} at +${op.at}`
          if (op.type === 'get') return trial.get(cache, op.cache, objects[op.object] as string, what)
          if (op.type === 'wrap') return trial.wrap(() => readValue(cache, op.cache), what)
          if (op.type === 'put') {
            const key = objects[op.object] as string
            const tags = tagsOf(op.object)
            return trial.change(
              [key],
              'put',
              ([v]) => trial.told(() => cache.put(key, body(key, v as number), { tags })),
              async ([v]) => {
                // S3 may or may not hold the version: write it there again, then tell the cache.
                await trial.writeS3(key, v as number, tags)
                return trial.told(() => cache.invalidate(key))
              },
            )
          }
          const targets = [0, 1, 2, 3].filter((target) => op.targets & (1 << target))
          const keys = targets.map((target) => (target < OBJECTS ? objects[target] : valueKey) as string)
          const tags = op.own ? targets.map((target) => own[target] as string) : [group]
          return trial.change(
            keys,
            'external',
            async (versions) => {
              await Promise.all(
                targets.map(async (target, i) => {
                  const v = versions[i] as number
                  if (target < OBJECTS) await trial.writeS3(keys[i] as string, v, tagsOf(target))
                  else source.v = v
                }),
              )
              return trial.invalidateTags(cache, tags)
            },
            () => trial.invalidateTags(cache, tags),
          )
        }),
      )

      // Settled: every cache answers what S3 (and the value's source) holds now.
      const truth = await Promise.all(objects.map((key) => trial.s3Version(key)))
      for (const [index, cache] of caches.entries()) {
        const [value, ...answers] = await Promise.all([
          readValue(cache, index),
          ...objects.map((key) => cache.get(key)),
        ])
        for (const [i, answer] of answers.entries()) {
          const key = objects[i] as string
          const v = versionOf(key, decoder.decode(answer.body))
          trial.settled(key, v, truth[i], `cache ${index} (${answer.status})`)
        }
        trial.settled(valueKey, value.parts[0]?.v, source.v, `cache ${index} (${value.status})`)
      }
      return trial.wrong
    },
  )
}

const HOW = ['put', 'invalidate', 'event', 'tags'] as const

type DependencyOp =
  /** Targets 0–2: the objects; 3–5: the values built from them (d1 = a + b, d2 = b + c, d3 = c + d1). */
  | { type: 'read'; cache: number; at: number; target: number }
  | { type: 'change'; cache: number; at: number; object: number; how: (typeof HOW)[number]; own: boolean }

const dependencyOpArb = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      type: fc.constant('read'),
      cache: cacheArb,
      at: atArb,
      target: fc.constantFrom(0, 1, 2, 3, 3, 4, 4, 5, 5, 5),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant('change'),
      cache: cacheArb,
      at: atArb,
      object: objectArb,
      how: fc.constantFrom(...HOW),
      own: fc.boolean(),
    }),
  },
) as fc.Arbitrary<DependencyOp>

const DERIVED = ['d1', 'd2', 'd3'] as const
type Derived = (typeof DERIVED)[number]

/**
 * (b) `wrap` values built from tagged objects read through the loader's `context.cache` (get, getText,
 * getJson; one after the other or at once), while the objects change by put, by an S3 write and then
 * invalidate, an S3 event or invalidateTags. Each part of a value must be a version current during the
 * read; after the writes, every value must be built from the objects' final versions. d3 is built from
 * c and from d1 (a value built from a value), so an inner value that could not be stored, because one of
 * its objects changed while it was built, must keep the outer one from being stored too.
 */
export function runDependencyRaces(setup: RaceSetup, label: string) {
  const { caches, s3 } = setup
  return runScenario(
    setup,
    label,
    fc.array(dependencyOpArb, { minLength: 8, maxLength: 20 }),
    async (tally, ops, run) => {
      const trial = new Trial(s3, tally)
      const base = `race-deps/${run}`
      const objects = Array.from({ length: OBJECTS }, (_, i) => `${base}/object-${i}.json`)
      const group = `${base}#group`
      const tagsOf = (object: number) => [group, `${objects[object]}#own`]

      /** An object read inside a loader, through its `context.cache`. */
      const readPart = async (
        view: S3Cache,
        index: number,
        object: number,
        how: 'get' | 'getText' | 'getJson',
      ) => {
        const key = objects[object] as string
        const call = trial.joins.begin(index, `o:${key}`)
        try {
          let v: number | undefined
          if (how === 'getJson') {
            const doc = await view.getJson<{ key?: string; v?: number }>(key).catch((error: unknown) => {
              throw error instanceof SchemaValidationError ? new TornRead(key, call.from) : error
            })
            v = doc.key === key && typeof doc.v === 'number' ? doc.v : undefined
          } else {
            v = versionOf(
              key,
              how === 'get' ? decoder.decode((await view.get(key)).body) : await view.getText(key),
            )
          }
          if (v === undefined) throw new TornRead(key, call.from)
          return { key, v, from: call.from }
        } finally {
          call.done()
        }
      }

      const build = async (view: S3Cache, index: number, name: Derived): Promise<Built> => {
        if (name === 'd1') {
          const a = await readPart(view, index, 0, 'getJson')
          return { parts: [a, await readPart(view, index, 1, 'get')] }
        }
        if (name === 'd2')
          return {
            parts: await Promise.all([
              readPart(view, index, 1, 'getText'),
              readPart(view, index, 2, 'getJson'),
            ]),
          }
        // d3 is built from d1, a value itself built from objects: removals and races go through both.
        const c = await readPart(view, index, 2, 'get')
        return { parts: [c, ...(await readDerived(view, index, 'd1')).parts] }
      }

      const readDerived = async (cache: S3Cache, index: number, name: Derived) => {
        const key = `${base}/${name}`
        const call = trial.joins.begin(index, `w:${key}`)
        let status: ReadStatus | undefined
        try {
          const value = await cache.wrap(key, ({ cache: view }) => build(view, index, name), {
            onStatus: (s) => {
              status = s
            },
          })
          return { parts: partsOf(value, status, call.from), status }
        } finally {
          call.done()
        }
      }

      await Promise.all(
        objects.map(async (key, i) => {
          const record = trial.history.begin(key, 0)
          await caches[0]?.put(key, body(key, 0), { tags: tagsOf(i) })
          record.end = Date.now()
        }),
      )

      await Promise.all(
        ops.map(async (op) => {
          await sleep(op.at)
          const cache = caches[op.cache] as S3Cache
          if (op.type === 'read') {
            const what = `read ${op.target} by cache ${op.cache} at +${op.at}`
            if (op.target < OBJECTS) return trial.get(cache, op.cache, objects[op.target] as string, what)
            const name = DERIVED[op.target - OBJECTS] as Derived
            return trial.wrap(() => readDerived(cache, op.cache, name), `wrap ${name} ${what}`)
          }
          const key = objects[op.object] as string
          const tags = tagsOf(op.object)
          const removing = op.own ? [tags[1] as string] : [group]
          const write = async (version: number) => {
            if (op.how === 'put') return trial.told(() => cache.put(key, body(key, version), { tags }))
            await trial.writeS3(key, version, tags)
            if (op.how === 'invalidate') return trial.told(() => cache.invalidate(key))
            if (op.how === 'tags') return trial.invalidateTags(cache, removing)
            const event = notification({ bucket: s3.bucket, key, sequencer: nextSequencer() })
            return trial.told(async () => {
              const outcome = await invalidateFromS3Event(cache, event)
              // Untyped, so the scenario fails: the event is newer than any applied to this object.
              if (outcome.applied !== 1) throw new Error(`event not applied: ${JSON.stringify(outcome)}`)
            })
          }
          return trial.change(
            [key],
            op.how,
            ([v]) => write(v as number),
            async ([v]) => {
              // A failed put may not have reached S3: write the version there again, then tell the cache.
              if (op.how === 'put') await trial.writeS3(key, v as number, tags)
              return op.how === 'tags'
                ? trial.invalidateTags(cache, removing)
                : trial.told(() => cache.invalidate(key))
            },
          )
        }),
      )

      // Settled: every cache answers S3's versions, and builds every value from them.
      const truth = new Map(
        await Promise.all(objects.map(async (key) => [key, await trial.s3Version(key)] as const)),
      )
      for (const [index, cache] of caches.entries()) {
        const [values, answers] = await Promise.all([
          Promise.all(DERIVED.map((name) => readDerived(cache, index, name))),
          Promise.all(objects.map((key) => cache.get(key))),
        ])
        for (const [i, answer] of answers.entries()) {
          const key = objects[i] as string
          const v = versionOf(key, decoder.decode(answer.body))
          trial.settled(key, v, truth.get(key), `cache ${index} get (${answer.status})`)
        }
        for (const [i, value] of values.entries()) {
          for (const part of value.parts)
            trial.settled(
              part.key,
              part.v,
              truth.get(part.key),
              `cache ${index} ${DERIVED[i]} (${value.status})`,
            )
        }
      }
      return trial.wrong
    },
  )
}
