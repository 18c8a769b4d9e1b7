import type { Machine } from './env'
import type { BytesResult } from './scenarios/bytes'
import type { CodecsResult } from './scenarios/codecs'
import type { ColdStartResult } from './scenarios/cold-start'
import type { HotKeyResult } from './scenarios/hot-key'
import type { RoundTripResult } from './scenarios/round-trips'
import type { ShapedLinkResult } from './scenarios/shaped-link'
import type { StampedeResult } from './scenarios/stampede'
import type { TagsResult } from './scenarios/tags'
import type { CellResult } from './scenarios/timed'
import type { Settings } from './settings'

/** Everything one run measured; `docs/benchmarks.md` is generated from this alone. */
export interface BenchResults {
  version: 1
  /** ISO time the run started. */
  startedAt: string
  durationMs: number
  settings: Settings
  machine: Machine & { loadAverageEnd: number }
  /** What the contenders ran of core (absent in older results). */
  coreLoadedFrom?: 'dist' | 'source via tsx'
  documents: { key: string; sizeKiB: number; bytes: number }[]
  contenders: { id: string; name: string; description: string }[]
  versions: Record<string, string>
  scenarios: {
    l2Hit?: CellResult[]
    /** The L2 hit with each contender in a process of its own. */
    l2HitPerProcess?: CellResult[]
    l1Hit?: CellResult[]
    stampede?: StampedeResult[]
    bytes?: BytesResult[]
    roundTrips?: RoundTripResult[]
    coldStart?: ColdStartResult
    origin?: CellResult[]
    hotKey?: HotKeyResult
    codecs?: CodecsResult
    tags?: TagsResult
    shapedLink?: ShapedLinkResult
  }
  /** Wall time of each scenario, ms. */
  scenarioMs: Record<string, number>
}

export type ScenarioName = keyof BenchResults['scenarios']
export const SCENARIOS: ScenarioName[] = [
  'l2HitPerProcess',
  'l2Hit',
  'l1Hit',
  'origin',
  'stampede',
  'bytes',
  'roundTrips',
  'coldStart',
  'hotKey',
  'codecs',
  'tags',
  'shapedLink',
]
