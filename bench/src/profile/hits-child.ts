// One process that `node --cpu-prof` profiles from start to exit: it creates a contender, fills its
// cache, warms it up, then times `ops` hits and prints the window of those hits (monotonic µs), so
// the driver (hits.ts) keeps only that part of the profile.
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
const fromUs = Number(process.hrtime.bigint() / 1000n)
const started = performance.now()
await warmUp(read, config.ops, config.concurrency)
const elapsedMs = performance.now() - started
const toUs = Number(process.hrtime.bigint() / 1000n)
const originCalls = contender.originCalls() - calls
await contender.close()
process.stdout.write(JSON.stringify({ name: contender.name, fromUs, toUs, elapsedMs, originCalls }))
