// A program: the settings of one run and the steps it takes, as a fast-check arbitrary, so a failing
// run shrinks to fewer steps, fewer faults and plainer settings.
import fc from 'fast-check'
import type { CacheSettings } from './protocol'
import { OBJECTS, type ObjectName, TAGS, type TagName, WRAPS } from './shapes'
import type { ReadAs } from './values'

/** What the runner was started with: it decides which faults make sense. */
export interface Configuration {
  store: 'standalone' | 'cluster'
  client: 'iovalkey' | 'glide' | 'glide-bytes'
  engine: 'valkey' | 'redis'
  /** Which keys random eviction may delete: those with a TTL (what `volatile-*` policies evict), or any. */
  eviction: 'volatile' | 'allkeys'
  workers: number
  /**
   * `mixed`: each worker with or without L1. `all`: L1 in every worker, with an `l1.ttl` longer than the
   * run, so only the change channel (and the rule after a gap in hearing it) keeps them coherent.
   */
  l1: 'mixed' | 'all'
}

export interface WorkerSettings {
  l1: false | { ttl: number }
  shareParsed: boolean
}

export interface Settings {
  cache: Omit<CacheSettings, 'l1' | 'shareParsed'>
  workers: WorkerSettings[]
  /** Keys deleted per second by the evictor (0: none). */
  evictions: number
  /** Most S3 requests are forwarded after a random delay of up to this (widens race windows). */
  s3DelayMs: number
}

/** How an S3 change outside the library reaches the cache: not at all, through its event, twice, or late. */
export type Delivery = 'none' | 'event' | 'twice' | 'late'

export type Step = { at: number } & (
  | { kind: 'read'; worker: number; object: ObjectName; as: ReadAs }
  /**
   * A read of `object` by `worker` (into its L1) and a write to S3 outside the library, then a read
   * sent and the worker's event loop blocked for `ms` (from the check phase, as after an I/O callback)
   * while `by` invalidates the object 20 ms in, then blocked for `ms` again in a timer that fell due
   * meanwhile, which then reads it: code resumed in the timers phase after a stall runs before the poll
   * phase reads what arrived during it (the change's message, and the reply to the read in flight).
   */
  | { kind: 'stall'; worker: number; by: number; ms: number; object: ObjectName; as: ReadAs }
  | { kind: 'wrap'; worker: number; name: string }
  | { kind: 'put'; worker: number; object: ObjectName; tagged: boolean; delivery: Delivery }
  | { kind: 'invalidate'; worker: number; object: ObjectName }
  | { kind: 'invalidateTags'; worker: number; tags: TagName[] }
  /** A write to S3 that does not go through the library; `remove` deletes the object. */
  | { kind: 'outside'; object: ObjectName; remove: boolean; delivery: Delivery; worker: number }
  /** SIGSTOP of a worker for `ms`, as Lambda freezes an environment between invocations. */
  | { kind: 'freeze'; worker: number; ms: number }
  /** SIGSTOP of a Valkey node for `ms`. */
  | { kind: 'pause'; node: number; ms: number }
  /** Standalone: the server killed and started again without its data. Cluster: a primary killed, its replica takes over. */
  | { kind: 'crash' }
  /** Cluster: a replica promoted by `CLUSTER FAILOVER` (no data lost). */
  | { kind: 'failover' }
  /** Every pub/sub connection killed (`CLIENT KILL TYPE pubsub` on every node): L1 subscriptions lost. */
  | { kind: 'unsubscribe' }
  /**
   * Standalone, iovalkey: every Valkey connection open now goes half-open, as when the network forgets
   * it without a reset (the workers reach the server through a proxy that stops forwarding them).
   */
  | { kind: 'silence' }
  /** S3 answers errors, or nothing, for `ms`. */
  | { kind: 's3'; mode: '500' | 'hang'; ms: number }
)

export interface Program {
  settings: Settings
  steps: Step[]
}

const RUN_MS = 2500

function settingsArbitrary(config: Configuration): fc.Arbitrary<Settings> {
  const worker: fc.Arbitrary<WorkerSettings> = fc.record({
    l1:
      config.l1 === 'all'
        ? fc.record({ ttl: fc.constant(60_000) })
        : fc.oneof(
            fc.constant(false as const),
            fc.record({ ttl: fc.integer({ min: 150, max: 800 }) }),
            fc.record({ ttl: fc.constant(60_000) }),
          ),
    shareParsed: fc.boolean(),
  })
  return fc.record({
    cache: fc.record({
      ttl: fc.integer({ min: 400, max: 2500 }),
      staleTtl: fc.oneof(fc.constant(0), fc.integer({ min: 200, max: 1500 })),
      negativeTtl: fc.integer({ min: 200, max: 1500 }),
      jitter: fc.constantFrom(0, 0.1),
      lock: fc.record({ ttl: fc.integer({ min: 300, max: 2000 }), wait: fc.integer({ min: 50, max: 600 }) }),
      timeouts: fc.record({
        valkey: fc.constant(config.client === 'iovalkey' ? 250 : 400),
        s3: fc.integer({ min: 600, max: 1500 }),
        revalidate: fc.integer({ min: 30, max: 300 }),
      }),
    }),
    workers: fc.array(worker, { minLength: config.workers, maxLength: config.workers }),
    evictions: fc.constantFrom(0, 200, 1000, 3000),
    s3DelayMs: fc.constantFrom(0, 20, 150),
  })
}

/** Whether the workers reach Valkey through the silencing proxy: one server, clients that take a URL. */
export function silenceable(config: Configuration): boolean {
  return config.store === 'standalone' && config.client === 'iovalkey'
}

function stepArbitrary(config: Configuration): fc.Arbitrary<Step> {
  const at = fc.integer({ min: 0, max: RUN_MS })
  const worker = fc.integer({ min: 0, max: config.workers - 1 })
  const object = fc.constantFrom(...OBJECTS)
  const delivery = fc.constantFrom<Delivery>('none', 'event', 'event', 'twice', 'late')
  const weighted = <T>(weight: number, arbitrary: fc.Arbitrary<T>) => ({ weight, arbitrary })
  const faults = [
    weighted(
      15,
      fc.record({ at, kind: fc.constant('freeze' as const), worker, ms: fc.integer({ min: 50, max: 2500 }) }),
    ),
    weighted(
      4,
      fc.record({
        at,
        kind: fc.constant('pause' as const),
        node: fc.nat(2),
        ms: fc.integer({ min: 100, max: 1200 }),
      }),
    ),
    weighted(
      4,
      fc.record({
        at,
        kind: fc.constant('s3' as const),
        mode: fc.constantFrom('500' as const, 'hang' as const),
        ms: fc.integer({ min: 100, max: 1200 }),
      }),
    ),
    weighted(config.store === 'cluster' ? 1 : 2, fc.record({ at, kind: fc.constant('crash' as const) })),
    weighted(3, fc.record({ at, kind: fc.constant('unsubscribe' as const) })),
    weighted(
      40,
      fc
        .record({
          at,
          kind: fc.constant('stall' as const),
          worker,
          /** Which other worker invalidates, counted from the stalled one (it cannot while stalled). */
          by: fc.integer({ min: 1, max: Math.max(1, config.workers - 1) }),
          // Mostly 100-150 ms: a tick falls due during the first stall and finds no gap on the old 250 ms
          // rule, and the read begins over 150 ms after the change resolved.
          ms: fc.oneof(
            { weight: 3, arbitrary: fc.integer({ min: 100, max: 150 }) },
            { weight: 1, arbitrary: fc.integer({ min: 40, max: 100 }) },
          ),
          object,
          as: fc.constantFrom<ReadAs>('bytes', 'text', 'json'),
        })
        .map((stall) => ({ ...stall, by: (stall.worker + stall.by) % config.workers })),
    ),
    ...(config.store === 'cluster'
      ? [weighted(2, fc.record({ at, kind: fc.constant('failover' as const) }))]
      : []),
    ...(silenceable(config) ? [weighted(6, fc.record({ at, kind: fc.constant('silence' as const) }))] : []),
  ]
  return fc.oneof(
    weighted(
      300,
      fc.record({
        at,
        kind: fc.constant('read' as const),
        worker,
        object,
        as: fc.constantFrom<ReadAs>('bytes', 'bytes', 'text', 'json', 'schema'),
      }),
    ),
    weighted(
      250,
      fc.record({
        at,
        kind: fc.constant('wrap' as const),
        worker,
        name: fc.constantFrom(...WRAPS.map((wrap) => wrap.name)),
      }),
    ),
    weighted(
      40,
      fc.record({
        at,
        kind: fc.constant('put' as const),
        worker,
        object,
        tagged: fc.boolean(),
        delivery: fc.constantFrom<Delivery>('none', 'none', 'event'),
      }),
    ),
    weighted(20, fc.record({ at, kind: fc.constant('invalidate' as const), worker, object })),
    weighted(
      20,
      fc.record({
        at,
        kind: fc.constant('invalidateTags' as const),
        worker,
        tags: fc.subarray([...TAGS], { minLength: 1 }),
      }),
    ),
    weighted(
      40,
      fc.record({
        at,
        kind: fc.constant('outside' as const),
        object,
        remove: fc.nat(9).map((n) => n < 2),
        delivery,
        worker,
      }),
    ),
    ...faults,
  ) as fc.Arbitrary<Step>
}

export function programArbitrary(config: Configuration): fc.Arbitrary<Program> {
  return fc.record({
    settings: settingsArbitrary(config),
    steps: fc.array(stepArbitrary(config), { minLength: 60, maxLength: 220, size: 'max' }),
  })
}

/** One step as a line of the shrunk sequence a violation prints. */
export function describeStep(step: Step): string {
  const { at, kind, ...rest } = step
  const parts = Object.entries(rest).map(
    ([name, value]) => `${name}=${Array.isArray(value) ? value.join('+') : String(value)}`,
  )
  return `@${String(at).padStart(4)} ms  ${kind.padEnd(14)} ${parts.join(' ')}`
}
