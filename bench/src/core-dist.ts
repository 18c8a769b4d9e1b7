import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Mode } from './settings'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
/** core's built entry point: what users install and run. */
export const CORE_DIST = `${ROOT}packages/core/dist/index.js`
export const CORE_SOURCE = `${ROOT}packages/core/src/index.ts`
/**
 * Set by the command lines (`npm run bench`, `profile:hits`) for themselves and their children: the
 * contenders then run core's dist, not its source through tsx (whose esbuild transform adds a
 * `__name()` call to every named closure, a cost the published build does not have).
 */
export const CORE_DIST_ENV = 'BENCH_CORE_DIST'

function newestSource(dir = `${ROOT}packages/core/src`): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs)
  }
  return newest
}

export type CoreDist = { built: false } | { built: true; builtAt: string }

/** Builds core's dist when it is missing or older than its sources (not in dry runs, which import the source instead). */
export function ensureCoreDist(mode: Mode, log: (line: string) => void): CoreDist {
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

/** Makes this process and its children measure core's dist (see {@link CORE_DIST_ENV}), when it is fresh. */
export function measureCoreDist(mode: Mode, log: (line: string) => void): CoreDist {
  const dist = mode === 'dry' ? ({ built: false } as const) : ensureCoreDist(mode, log)
  if (dist.built) process.env[CORE_DIST_ENV] = CORE_DIST
  return dist
}
