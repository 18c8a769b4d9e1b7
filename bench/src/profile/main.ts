/**
 * CPU profile of core's L2 hit path: `npm run profile -w bench -- --label after`. Starts the bench's
 * servers, fills the cache, then profiles `--ops` hits of `getJson` at concurrency `--concurrency`
 * with `node:inspector` and writes the flame graph to docs/benchmarks/profile-l2-hit-<label>.svg
 * (the raw profile beside it in a temp dir) and the top self-time functions to stdout.
 */
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { createCore } from '../contenders/core'
import { createRaw } from '../contenders/raw'
import { putDoc, startEnv } from '../env'
import { forEachLimit, keysFor } from '../scenarios/timed'
import { type CpuProfile, flameGraph, topSelfTimes } from './flame'

const { values } = parseArgs({
  options: {
    label: { type: 'string', default: 'current' },
    size: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '1' },
    ops: { type: 'string', default: '20000' },
    l1: { type: 'boolean', default: false },
    raw: { type: 'boolean', default: false },
  },
})
const sizeKiB = Number(values.size)
const concurrency = Number(values.concurrency)
const ops = Number(values.ops)

const env = await startEnv([sizeKiB])
const doc = env.docs[0] as (typeof env.docs)[number]
const keys = keysFor(doc, 64)
for (const key of keys) await putDoc(env.s3.client, key, doc.json)
// --raw profiles the floor (iovalkey getBuffer + JSON.parse) the same way, for comparison.
const core = values.raw
  ? createRaw(env.endpoints)
  : createCore(env.endpoints, { name: 'core', l1: values.l1 })
/** `count` reads round-robin over the keys, `concurrency` at a time. */
const run = (count: number) =>
  forEachLimit(
    Array.from({ length: count }, (_, i) => keys[i % keys.length] as string),
    concurrency,
    async (key) => {
      await core.read(key)
    },
  )
await run(keys.length * 2)
await run(5000)

const session = new Session()
session.connect()
await session.post('Profiler.enable')
await session.post('Profiler.setSamplingInterval', { interval: 50 })
await session.post('Profiler.start')
const started = performance.now()
await run(ops)
const elapsed = performance.now() - started
const { profile } = (await session.post('Profiler.stop')) as { profile: CpuProfile }
session.disconnect()
await core.close()
await env.admin.quit()
await env.stop()

const what = `${values.raw ? 'raw floor, ' : ''}${values.l1 ? 'L1' : 'L2'} hit, getJson, ${sizeKiB} KiB, concurrency ${concurrency}`
const title = `${values.raw ? '' : 'core '}${what} (${values.label}): ${ops} hits in ${elapsed.toFixed(0)} ms`
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
const svg = join(root, 'docs/benchmarks', `profile-${values.l1 ? 'l1' : 'l2'}-hit-${values.label}.svg`)
writeFileSync(svg, flameGraph(profile, title))
const raw = join(tmpdir(), `profile-${values.label}.cpuprofile`)
writeFileSync(raw, JSON.stringify(profile))

// Self time by function, the quickest read of where time goes.
process.stdout.write(
  `${title}\n${(elapsed * 1000) / ops} µs wall per hit\n${topSelfTimes(profile, ops).join('\n')}\n`,
)
process.stdout.write(`${svg}\n${raw}\n`)
