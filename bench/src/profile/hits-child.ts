// One process that `node --cpu-prof` profiles from start to exit: it creates a contender, fills its
// cache, warms it up, then times `ops` hits and prints the window of those hits (monotonic µs), so
// the driver (hits.ts) keeps only that part of the profile.
import { type PerformanceEntry, PerformanceObserver } from 'node:perf_hooks'
import { spec } from '../contenders'
import type { Endpoints } from '../env'
import { warmUp } from '../measure'
import { makeDoc } from '../payload'
import { fillCache, keysFor, oneRead } from '../scenarios/timed'

export interface HitsConfig {
  id: string
  endpoints: Endpoints
  sizeKiB: number
  keys: number
  warmOps: number
  ops: number
  concurrency: number
}

const config = JSON.parse(process.argv[2] ?? '{}') as HitsConfig
// The same bytes as the driver put in S3: documents are deterministic.
const doc = makeDoc(config.sizeKiB)
const keys = keysFor(doc, config.keys)
const contender = await spec(config.id).create(config.endpoints)
await fillCache(
  contender,
  config.id,
  keys.map((key) => [key, doc]),
)
const read = oneRead(contender, keys, doc, config.id)
await warmUp(read, config.warmOps, config.concurrency)
const calls = contender.originCalls()
// Garbage collections during the timed hits, by kind: a mark-compact every few hundred hits is what
// promoted zlib streams cost (see packages/core/src/reused-engine.ts).
const gcs: Record<string, number> = {}
const GC_KINDS: Record<number, string> = {
  1: 'scavenge',
  2: 'minor mark-sweep',
  4: 'mark-compact',
  8: 'incremental',
  16: 'weak callbacks',
}
const observer = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const kind = GC_KINDS[(entry as PerformanceEntry & { detail: { kind: number } }).detail.kind] ?? 'other'
    gcs[kind] = (gcs[kind] ?? 0) + 1
  }
})
observer.observe({ entryTypes: ['gc'] })
const cpu = process.cpuUsage()
const fromUs = Number(process.hrtime.bigint() / 1000n)
const started = performance.now()
await warmUp(read, config.ops, config.concurrency)
const elapsedMs = performance.now() - started
const toUs = Number(process.hrtime.bigint() / 1000n)
const { user, system } = process.cpuUsage(cpu)
// GC entries arrive after the collection's own tick.
await new Promise((resolve) => setTimeout(resolve, 20))
observer.disconnect()
const originCalls = contender.originCalls() - calls
await contender.close()
process.stdout.write(
  JSON.stringify({
    name: contender.name,
    fromUs,
    toUs,
    elapsedMs,
    originCalls,
    cpuUsPerHit: (user + system) / config.ops,
    gcs: Object.entries(gcs)
      .map(([kind, count]) => `${count} ${kind}`)
      .join(', '),
  }),
)
