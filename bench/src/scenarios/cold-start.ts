import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { Settings } from '../settings'
import { median, round } from '../stats'
import { type BundleResult, bundleHandlers } from './bundles'

export interface ImportResult {
  name: string
  /** What was imported. */
  specifiers: string[]
  /** How core was loaded: its built dist, or its TypeScript source through tsx. */
  loadedFrom: 'dist' | 'source via tsx' | 'node_modules'
  /** `await import()` inside a fresh process, ms: one per sample. */
  importMs: number[]
  medianImportMs: number
  /** Whole process (spawn to exit) minus an empty Node process, median, ms. */
  medianProcessOverheadMs: number
}

export interface ColdStartResult {
  nodeBaselineMs: number
  imports: ImportResult[]
  coreDist: { built: boolean; builtAt?: string }
  bundles: BundleResult[]
}

const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
const BENCH_DIR = fileURLToPath(new URL('../..', import.meta.url))
const CORE_DIST = `${ROOT}packages/core/dist/index.js`
const CORE_SOURCE = `${ROOT}packages/core/src/index.ts`

interface Target {
  name: string
  specifiers: string[]
  loadedFrom: ImportResult['loadedFrom']
  execArgv: string[]
}

/** One fresh process importing `specifiers`; returns its in-process import time and its wall time, ms. */
function sample(target: Target): { importMs: number; wallMs: number } {
  const script = `const t0 = performance.now(); for (const s of ${JSON.stringify(target.specifiers)}) await import(s); process.stdout.write(String(performance.now() - t0))`
  const started = performance.now()
  const run = spawnSync(process.execPath, [...target.execArgv, '--input-type=module', '-e', script], {
    cwd: BENCH_DIR,
    encoding: 'utf8',
  })
  const wallMs = performance.now() - started
  if (run.status !== 0) throw new Error(`import of ${target.name} failed: ${run.stderr}`)
  return { importMs: Number(run.stdout), wallMs }
}

/** Newest modification time under packages/core/src, ms. */
function newestSource(dir = `${ROOT}packages/core/src`): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs)
  }
  return newest
}

/** Builds core's dist when it is missing or older than its sources (not in dry runs, which import the source instead). */
function ensureCoreDist(mode: Settings['mode'], log: (line: string) => void): ColdStartResult['coreDist'] {
  const stale = !existsSync(CORE_DIST) || statSync(CORE_DIST).mtimeMs < newestSource()
  if (stale && mode !== 'dry') {
    log('  packages/core/dist is missing or older than its sources: npm run build -w @valkey-s3-cache/core')
    const build = spawnSync('npm', ['run', 'build', '-w', '@valkey-s3-cache/core'], {
      cwd: ROOT,
      encoding: 'utf8',
    })
    if (build.status !== 0) log(`  build failed, importing the source through tsx instead:\n${build.stderr}`)
  }
  if (!existsSync(CORE_DIST) || (mode === 'dry' && stale)) return { built: false }
  return { built: true, builtAt: statSync(CORE_DIST).mtime.toISOString() }
}

/**
 * Scenario 6: the time to import core in a fresh Node process (median of `coldStartSamples`),
 * beside the peers' packages and the S3 client alone, and the minified bundle sizes of small
 * handlers (fixtures/) with `@aws-sdk/*` external, as a Lambda deployment would have them.
 */
export async function runColdStart(
  settings: Settings,
  log: (line: string) => void,
): Promise<ColdStartResult> {
  let coreDist = ensureCoreDist(settings.mode, log)
  const fromSource: Target = {
    name: 'core',
    specifiers: [pathToFileURL(CORE_SOURCE).href],
    loadedFrom: 'source via tsx',
    execArgv: ['--import', 'tsx'],
  }
  let core: Target = coreDist.built
    ? { name: 'core', specifiers: [pathToFileURL(CORE_DIST).href], loadedFrom: 'dist', execArgv: [] }
    : fromSource
  try {
    sample(core) // also warms the disk cache for every target below
  } catch (error) {
    // Someone may be rebuilding dist right now (tsup empties it first).
    log(`  ${(error as Error).message.split('\n')[0]}: importing the source through tsx instead`)
    core = fromSource
    coreDist = { built: false }
  }
  const peer = (name: string, specifiers: string[]): Target => ({
    name,
    specifiers,
    loadedFrom: 'node_modules',
    execArgv: [],
  })
  const targets: Target[] = [
    core,
    peer('@aws-sdk/client-s3 alone', ['@aws-sdk/client-s3']),
    peer('bentocache + redis driver', ['bentocache', 'bentocache/drivers/redis']),
    peer('cache-manager + keyv + @keyv/valkey', ['cache-manager', 'keyv', '@keyv/valkey']),
    peer('cachified + iovalkey', ['@epic-web/cachified', 'iovalkey']),
  ]
  const baseline: number[] = []
  const samples = new Map(targets.map((t) => [t.name, [] as { importMs: number; wallMs: number }[]]))
  for (let i = 0; i < settings.coldStartSamples; i++) {
    baseline.push(sample({ name: 'node', specifiers: [], loadedFrom: 'node_modules', execArgv: [] }).wallMs)
    for (const target of targets) samples.get(target.name)?.push(sample(target))
  }
  const nodeBaselineMs = round(median(baseline))
  const imports = targets.map((target): ImportResult => {
    const list = samples.get(target.name) ?? []
    const result: ImportResult = {
      name: target.name,
      specifiers: target.specifiers.map((s) => s.replace(pathToFileURL(ROOT).href, '')),
      loadedFrom: target.loadedFrom,
      importMs: list.map((s) => round(s.importMs)),
      medianImportMs: round(median(list.map((s) => s.importMs))),
      medianProcessOverheadMs: round(median(list.map((s) => s.wallMs)) - nodeBaselineMs),
    }
    log(
      `  import ${result.name.padEnd(36)} ${result.medianImportMs} ms (process +${result.medianProcessOverheadMs} ms) [${result.loadedFrom}]`,
    )
    return result
  })
  const bundles = await bundleHandlers(log)
  return { nodeBaselineMs, imports, coreDist, bundles }
}
