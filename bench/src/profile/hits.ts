/**
 * CPU profiles of L2 hits, one fresh process per document size, recorded by `node --cpu-prof`:
 * `npm run profile:hits -w bench -- --label before` (and later `--label after`, the same command).
 * Starts the bench's servers, puts 64 copies of each document in S3, then runs hits-child.ts under
 * `--cpu-prof` for each size: it fills its cache, warms up, and times `--ops` `getJson` hits at
 * `--concurrency`. The part of the profile those hits span becomes the flame graph
 * docs/benchmarks/profile-c<concurrency>-<size>kib-<label>.svg (the raw profile stays in a temp dir);
 * the top self-time functions, CPU per hit and the GCs during the hits go to stdout. `--contender raw` profiles the floor the same way
 * (…-<size>kib-raw-<label>.svg).
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { spec } from '../contenders'
import { measureCoreDist } from '../core-dist'
import { startEnv } from '../env'
import { putKeyPool } from '../scenarios/l2-hit'
import { type CpuProfile, flameGraph, topSelfTimes, trimProfile } from './flame'
import type { HitsConfig } from './hits-child'

const { values } = parseArgs({
  options: {
    label: { type: 'string', default: 'current' },
    sizes: { type: 'string', default: '1,10' },
    concurrency: { type: 'string', default: '1' },
    ops: { type: 'string', default: '20000' },
    warm: { type: 'string', default: '5000' },
    contender: { type: 'string', default: 'core' },
    /** µs between samples. */
    interval: { type: 'string', default: '50' },
  },
})
const sizes = (values.sizes as string).split(',').map(Number)
const concurrency = Number(values.concurrency)
const ops = Number(values.ops)
const id = values.contender as string
spec(id) // an unknown contender fails here, before any server starts
// The profiled child runs core's dist, as users do (see CORE_DIST_ENV).
const { built } = measureCoreDist('full', (line) => process.stderr.write(`${line}\n`))
process.stderr.write(`core: ${built ? 'packages/core/dist' : 'source via tsx'}\n`)

const BENCH_DIR = fileURLToPath(new URL('../..', import.meta.url))
const CHILD = fileURLToPath(new URL('./hits-child.ts', import.meta.url))
const DOCS = fileURLToPath(new URL('../../../docs/benchmarks/', import.meta.url))
const KEYS = 64

/** Runs the child under `--cpu-prof` (asynchronously: this process serves its S3 loads) and returns its answer and profile. */
function profiled(
  config: HitsConfig,
): Promise<{ answer: Record<string, number | string>; profile: CpuProfile; file: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-profile-'))
  const child = spawn(
    process.execPath,
    [
      '--cpu-prof',
      '--cpu-prof-dir',
      dir,
      '--cpu-prof-interval',
      values.interval as string,
      '--import',
      'tsx',
      CHILD,
      JSON.stringify(config),
    ],
    { cwd: BENCH_DIR, stdio: ['ignore', 'pipe', 'inherit'] },
  )
  let out = ''
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString()
  })
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`profiled child exited with ${code}`))
      const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'))
      if (!file) return reject(new Error(`no .cpuprofile in ${dir}`))
      const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile
      resolve({ answer: JSON.parse(out), profile, file: join(dir, file) })
    })
  })
}

const env = await startEnv(sizes)
try {
  await putKeyPool(env, env.docs, KEYS)
  for (const doc of env.docs) {
    const { answer, profile, file } = await profiled({
      id,
      endpoints: env.endpoints,
      sizeKiB: doc.sizeKiB,
      keys: KEYS,
      warmOps: Number(values.warm),
      ops,
      concurrency,
    })
    if (answer.originCalls !== 0) throw new Error(`${answer.originCalls} S3 calls during the profiled hits`)
    const hits = trimProfile(profile, answer.fromUs as number, answer.toUs as number)
    const elapsedMs = answer.elapsedMs as number
    const title = `${answer.name}: L2 hit${id.startsWith('core') ? ', getJson' : ''}, ${doc.sizeKiB} KiB, concurrency ${concurrency} (${values.label}): ${ops} hits in ${elapsedMs.toFixed(0)} ms, node --cpu-prof`
    const svg = join(
      DOCS,
      `profile-c${concurrency}-${doc.sizeKiB}kib-${id === 'core' ? '' : `${id}-`}${values.label}.svg`,
    )
    writeFileSync(svg, flameGraph(hits, title))
    process.stdout.write(
      `${title}\n${((elapsedMs * 1000) / ops).toFixed(2)} µs wall, ${(answer.cpuUsPerHit as number).toFixed(1)} µs CPU per hit (process, every thread); GCs: ${answer.gcs || 'none'}\n${topSelfTimes(hits, ops, 25).join('\n')}\n${svg}\n${file}\n\n`,
    )
  }
} finally {
  await env.admin.quit()
  await env.stop()
}
