import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { contenders, HIT_LIBRARY_IDS } from './contenders'
import { coreLoadedFrom } from './core-module'
import { describeMachine, startEnv } from './env'
import { judgeTargets } from './report/targets'
import { writeDocs } from './report/write'
import { type BenchResults, SCENARIOS, type ScenarioName } from './results'
import { runBytes } from './scenarios/bytes'
import { runCodecs } from './scenarios/codecs'
import { runColdStart } from './scenarios/cold-start'
import { runHotKey } from './scenarios/hot-key'
import { runL1Hit } from './scenarios/l1-hit'
import { runL2Hit } from './scenarios/l2-hit'
import { runL2HitPerProcess } from './scenarios/l2-hit-per-process'
import { runOrigin } from './scenarios/origin'
import { runRoundTrips } from './scenarios/round-trips'
import { runShapedLink } from './scenarios/shaped-link'
import { runStampede } from './scenarios/stampede'
import { runTags } from './scenarios/tags'
import { type Mode, settingsFor } from './settings'
import { installedVersions } from './versions'

export interface BenchOptions {
  mode: Mode
  /** Where results/ and docs/ go. Default: the repository for a full run, a temp dir otherwise. */
  outDir?: string | undefined
  /** Scenario names to run (default: all). */
  only?: string[] | undefined
  /** Regenerate the docs from this results file instead of running. */
  reportFrom?: string | undefined
  log: (line: string) => void
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

function outputDirs(options: BenchOptions): { results: string; docs: string } {
  if (options.outDir) return { results: join(options.outDir, 'results'), docs: join(options.outDir, 'docs') }
  if (options.mode === 'full' || options.reportFrom)
    return { results: join(ROOT, 'bench/results'), docs: join(ROOT, 'docs') }
  const dir = mkdtempSync(join(tmpdir(), `valkey-s3-cache-bench-${options.mode}-`))
  return { results: join(dir, 'results'), docs: join(dir, 'docs') }
}

/** Runs the selected scenarios against fresh servers, writes results/<date>.json and regenerates the docs from it. */
export async function runBench(options: BenchOptions): Promise<{ results: BenchResults; files: string[] }> {
  const dirs = outputDirs(options)
  if (options.reportFrom) {
    // npm runs the script in bench/; accept paths relative to the repository root too.
    const from = existsSync(options.reportFrom) ? options.reportFrom : join(ROOT, options.reportFrom)
    const results = JSON.parse(readFileSync(from, 'utf8')) as BenchResults
    return { results, files: await writeDocs(results, dirs.docs, from) }
  }
  const { log } = options
  const settings = settingsFor(options.mode)
  const selected = SCENARIOS.filter((name) => !options.only || options.only.includes(name))
  const startedAt = new Date()
  const started = performance.now()
  log(`valkey-s3-cache bench: ${options.mode} run of ${selected.join(', ')}`)
  const env = await startEnv(settings.sizesKiB)
  const results: BenchResults = {
    version: 1,
    startedAt: startedAt.toISOString(),
    durationMs: 0,
    settings,
    machine: { ...describeMachine(env.valkeyVersion), loadAverageEnd: 0 },
    coreLoadedFrom,
    documents: env.docs.map(({ key, sizeKiB, bytes }) => ({ key, sizeKiB, bytes })),
    contenders: [...contenders.values()].map(({ id, name, description }) => ({ id, name, description })),
    versions: installedVersions(),
    scenarios: {},
    scenarioMs: {},
  }
  log(
    `  ${results.machine.cpuModel}, ${results.machine.cores} cores, node ${results.machine.node}, valkey ${results.machine.valkey}, load ${results.machine.loadAverageStart}`,
  )
  const runners: Record<ScenarioName, () => Promise<unknown>> = {
    l2HitPerProcess: () => runL2HitPerProcess(env, settings, log),
    l2Hit: () => runL2Hit(env, settings, log),
    l1Hit: () => runL1Hit(env, settings, log),
    origin: () => runOrigin(env, settings, log),
    stampede: () => runStampede(env, settings, log),
    bytes: () => runBytes(env, settings, HIT_LIBRARY_IDS, log),
    roundTrips: () => runRoundTrips(env, settings, HIT_LIBRARY_IDS, log),
    coldStart: () => runColdStart(env, settings, log),
    hotKey: () => runHotKey(env, settings, log),
    codecs: () => runCodecs(settings, log),
    tags: () => runTags(env, settings, log),
    shapedLink: () => runShapedLink(env, settings, log),
  }
  try {
    for (const name of selected) {
      log(`${name}:`)
      const t0 = performance.now()
      ;(results.scenarios as Record<string, unknown>)[name] = await runners[name]()
      results.scenarioMs[name] = Math.round(performance.now() - t0)
      logGoals(results, name, log)
    }
  } finally {
    await env.stop()
  }
  results.durationMs = Math.round(performance.now() - started)
  results.machine.loadAverageEnd = Math.round((loadavg()[0] ?? 0) * 100) / 100
  mkdirSync(dirs.results, { recursive: true })
  const stamp = startedAt.toISOString().slice(0, 10)
  const file = join(dirs.results, `${stamp}${options.mode === 'full' ? '' : `-${options.mode}`}.json`)
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`)
  const docs = await writeDocs(results, dirs.docs, file)
  log(`done in ${(results.durationMs / 1000).toFixed(1)} s`)
  return { results, files: [file, ...docs] }
}

/** The goals a scenario's numbers judge, printed right after it. */
function logGoals(results: BenchResults, name: ScenarioName, log: (line: string) => void): void {
  const verdicts = judgeTargets({ ...results, scenarios: { [name]: results.scenarios[name] } })
  if (!verdicts.length) return
  log(`  goals (${name}):`)
  for (const v of verdicts)
    log(`    ${v.met === undefined ? 'not measured' : v.met ? 'met' : 'NOT MET'}: ${v.target} — ${v.detail}`)
}
