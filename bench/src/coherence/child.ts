// One cache in its own process, like one Lambda instance: driven over IPC by main.ts.
import type { CacheEvent, S3Cache } from '@valkey-s3-cache/core'
import { createS3Cache } from '../core-module'
import { type Endpoints, s3ClientFor } from '../env'
import { prng } from '../payload'
import type { Failed } from '../scenarios/peer'
import { bodyOf, KEY_COUNT, KEY_PREFIX, keyOf, modeNamed, now, WRITE_RATIO, ZIPF_S } from './workload'
import { zipfSampler } from './zipf'

export type ToChild =
  | { type: 'create'; mode: string; index: number; endpoints: Endpoints }
  /** Reads every key once. */
  | { type: 'fill' }
  /** Reads every key twice, counting the second pass's L1 hits (the entries L1 holds), then a full GC and the heap. */
  | { type: 'memory' }
  | { type: 'run'; durationMs: number; concurrency: number; seed: number }
  | { type: 'exit' }

/** One write: the version it wrote, when `put` was called and when it resolved (epoch ms). */
export interface WriteRecord {
  rank: number
  version: number
  started: number
  resolved: number
  ok: boolean
}

/** Every read of a run, column-wise: the key's rank, when it began (epoch ms), its latency, the version it got. */
export interface ReadRecords {
  ranks: Uint16Array
  started: Float64Array
  latenciesMs: Float64Array
  versions: Float64Array
}

export interface RunResult {
  elapsedMs: number
  reads: ReadRecords
  writes: WriteRecord[]
  l1Hits: number
  originLoads: number
  errors: string[]
}

export type FromChild =
  | { type: 'created' }
  | { type: 'filled' }
  | { type: 'measured'; entries: number; heapUsed: number; external: number }
  | { type: 'ran'; result: RunResult }
  | Failed

let cache: S3Cache | undefined
let index = 0
const counts = { l1Hits: 0, originLoads: 0, errors: [] as string[] }

function onEvent(event: CacheEvent): void {
  if (event.type === 'hit' && event.layer === 'l1') counts.l1Hits++
  else if (event.type === 'load' && event.source === 'origin') counts.originLoads++
  else if (event.type === 'error' && counts.errors.length < 20)
    counts.errors.push(`${event.operation}: ${event.error.message}`)
}

function current(): S3Cache {
  if (!cache) throw new Error('no cache: create first')
  return cache
}

/** Reads every key once, 8 at a time (the first process loads them from S3). */
async function readAll(): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < KEY_COUNT) await current().getJson(keyOf(next++))
  }
  await Promise.all(Array.from({ length: 8 }, worker))
}

async function run(durationMs: number, concurrency: number, seed: number): Promise<RunResult> {
  const c = current()
  const random = prng(seed)
  const draw = zipfSampler(KEY_COUNT, ZIPF_S, random)
  const ranks: number[] = []
  const started: number[] = []
  const latencies: number[] = []
  const versions: number[] = []
  const writes: WriteRecord[] = []
  let writesStarted = 0
  counts.l1Hits = 0
  counts.originLoads = 0
  counts.errors = []
  const begin = performance.now()
  const deadline = begin + durationMs
  const worker = async () => {
    while (performance.now() < deadline) {
      // Each operation starts from the event loop, as a request does. Without it, a run of L1 hits
      // (promises already resolved) never returns to the loop, so no socket is read and change
      // messages wait unheard for as long as the run lasts.
      await new Promise((resolve) => setImmediate(resolve))
      const rank = draw()
      const key = keyOf(rank)
      if (random() < WRITE_RATIO) {
        // Unique across processes (index < 16): the stale check maps a version back to its write.
        const version = ++writesStarted * 16 + index + 1
        const body = bodyOf(rank, version)
        const write: WriteRecord = { rank, version, started: now(), resolved: 0, ok: true }
        try {
          await c.put(key, body, { contentType: 'application/json' })
        } catch (error) {
          write.ok = false
          if (counts.errors.length < 20) counts.errors.push(`put: ${(error as Error).message}`)
        }
        write.resolved = now()
        writes.push(write)
        continue
      }
      const at = now()
      const t0 = performance.now()
      const value = await c.getJson<{ version: number }>(key)
      latencies.push(performance.now() - t0)
      ranks.push(rank)
      started.push(at)
      versions.push(value.version)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return {
    elapsedMs: performance.now() - begin,
    reads: {
      ranks: Uint16Array.from(ranks),
      started: Float64Array.from(started),
      latenciesMs: Float64Array.from(latencies),
      versions: Float64Array.from(versions),
    },
    writes,
    l1Hits: counts.l1Hits,
    originLoads: counts.originLoads,
    errors: counts.errors,
  }
}

const send = (message: FromChild): void => {
  process.send?.(message)
}

async function handle(message: ToChild): Promise<void> {
  switch (message.type) {
    case 'create': {
      index = message.index
      cache = createS3Cache({
        s3: s3ClientFor(message.endpoints),
        bucket: message.endpoints.bucket,
        valkey: `valkey://${message.endpoints.valkeyHost}:${message.endpoints.valkeyPort}`,
        keyPrefix: KEY_PREFIX,
        ttl: '1h',
        ...modeNamed(message.mode).options,
        onEvent,
      })
      await cache.connect()
      return send({ type: 'created' })
    }
    case 'fill':
      await readAll()
      return send({ type: 'filled' })
    case 'memory': {
      // Once more first: entries older than a short l1.ttl are read again, so L1 holds what it can.
      await readAll()
      counts.l1Hits = 0
      await readAll()
      const entries = counts.l1Hits
      const gc = (globalThis as { gc?: () => void }).gc
      if (!gc) throw new Error('run with --expose-gc')
      gc()
      gc()
      const { heapUsed, external } = process.memoryUsage()
      return send({ type: 'measured', entries, heapUsed, external })
    }
    case 'run':
      return send({ type: 'ran', result: await run(message.durationMs, message.concurrency, message.seed) })
    case 'exit':
      await cache?.close()
      process.exit(0)
  }
}

// The parent is gone (killed, or Ctrl-C reached it alone): so is the reason to run.
process.on('disconnect', () => process.exit(0))

process.on('message', (message: ToChild) => {
  handle(message).catch((error: unknown) =>
    send({ type: 'failed', error: String((error as Error)?.stack ?? error) }),
  )
})
