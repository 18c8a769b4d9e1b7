import { L1_IDS } from '../contenders'
import type { BenchEnv } from '../env'
import type { Settings } from '../settings'
import { type CellResult, runTimed } from './timed'

/** Scenario 2: L1 hits at concurrency 1 (in-process lookups are CPU-bound). Floor: lru-cache + JSON.parse. */
export function runL1Hit(
  env: BenchEnv,
  settings: Settings,
  log: (line: string) => void,
): Promise<CellResult[]> {
  const cells = settings.sizesKiB.map((sizeKiB) => ({ sizeKiB, concurrency: 1, keys: 1 }))
  return runTimed(env, settings, L1_IDS, cells, log)
}
