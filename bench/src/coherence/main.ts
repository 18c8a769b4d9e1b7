// npm run bench:coherence [-- --quick | --dry] [--concurrency N] [--out DIR]
//
// L1 coherence across processes: four processes read 1,000 objects (Zipf s = 1) and write 1 % of the
// time, in each of five modes (L2 only; L1 with coherence and a 1 h, 1 min or 5 s fallback ttl; L1
// with only its 5 s ttl). Prints a markdown table; writes JSON to bench/results/ (or DIR).
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { measureCoreDist } from '../core-dist'
import { describeMachine, startEnv } from '../env'
import { round } from '../stats'
import { installedVersions } from '../versions'
import { reset, runMode } from './run-mode'
import { addMemoryPerEntry, type ModeSummary, markdown, summarize } from './summary'
import { KEY_COUNT, MODES, PROCESSES, STALE_MARGIN_MS, WRITE_RATIO, ZIPF_S } from './workload'

const RESULTS_DIR = fileURLToPath(new URL('../../results/', import.meta.url))
const SECONDS = { full: 20, quick: 5, dry: 1 } as const
const SEED = 20_251_201

function parse() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      dry: { type: 'boolean', default: false },
      concurrency: { type: 'string', default: '1' },
      out: { type: 'string' },
    },
  })
  const concurrency = Number(values.concurrency)
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new Error(`--concurrency: expected a positive integer, got ${values.concurrency}`)
  }
  const run = values.dry ? 'dry' : values.quick ? 'quick' : 'full'
  return { run, concurrency, out: values.out ?? RESULTS_DIR } as const
}

const log = (line: string) => process.stderr.write(`${line}\n`)

async function main(): Promise<void> {
  const { run, concurrency, out } = parse()
  // The cache processes run core's dist, as users install it (dry runs: the source through tsx).
  const { built } = measureCoreDist(run, log)
  const startedAt = new Date()
  const env = await startEnv([])
  const summaries: ModeSummary[] = []
  try {
    const machine = describeMachine(env.valkeyVersion)
    let written: number[] = Array.from({ length: KEY_COUNT }, (_, rank) => rank)
    for (const mode of MODES) {
      await reset(env, written)
      const result = await runMode(
        env,
        mode,
        { durationMs: SECONDS[run] * 1000, concurrency, seed: SEED },
        log,
      )
      const summary = summarize(result)
      written = [...new Set(result.runs.flatMap((r) => r.writes.map((w) => w.rank)))]
      summaries.push(summary)
      log(
        `${mode.name}: ${summary.reads} reads, ${summary.writes} writes, L1 hits ${summary.l1HitRatio}, stale ${summary.stale.stale}`,
      )
      for (const error of summary.errors) log(`  ${mode.name} error: ${error}`)
    }
    addMemoryPerEntry(summaries)
    const results = {
      version: 1,
      startedAt: startedAt.toISOString(),
      durationMs: Math.round(Date.now() - startedAt.getTime()),
      settings: {
        run,
        secondsPerMode: SECONDS[run],
        processes: PROCESSES,
        concurrencyPerProcess: concurrency,
        keys: KEY_COUNT,
        sizesKiB: [1, 10],
        zipfS: ZIPF_S,
        writeRatio: WRITE_RATIO,
        staleMarginMs: STALE_MARGIN_MS,
        seed: SEED,
        valkeyBytes: 'tot-net-in + tot-net-out of CLIENT LIST over the cache processes’ connections',
        memory: 'heapUsed + external after a full GC, median over processes',
      },
      machine: { ...machine, loadAverageEnd: round(describeMachine(env.valkeyVersion).loadAverageStart) },
      coreLoadedFrom: built ? 'dist' : 'source via tsx',
      versions: installedVersions(),
      modes: summaries,
    }
    mkdirSync(out, { recursive: true })
    const suffix = run === 'full' ? '' : `-${run}`
    const file = join(out, `coherence-${startedAt.toISOString().slice(0, 10)}${suffix}.json`)
    writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`)
    log(`wrote ${file}`)
    process.stdout.write(`${markdown(summaries)}\n`)
  } finally {
    await env.stop()
  }
}

main().catch((error: unknown) => {
  log(String((error as Error)?.stack ?? error))
  process.exitCode = 1
})
