import { HOT_KEY_IDS, spec } from '../contenders'
import type { BenchEnv } from '../env'
import type { Settings } from '../settings'
import { median, round, type Spread } from '../stats'
import { commandsPerOp } from './round-trips'
import { type CellResult, type OperationFactory, type RoundResult, runTimed, verify } from './timed'
import { commandStats } from './valkey-stats'

/** One contender at one size: an operation is one batch of `batch` concurrent reads of the same cached key. */
export interface HotKeyCell {
  contender: string
  name: string
  sizeKiB: number
  batch: number
  /** Median over rounds. */
  readsPerSec: number
  batchesPerSec: number
  /** Latency of a whole batch (until its last read answered), µs, median over rounds. */
  p50BatchUs: number
  p99BatchUs: number
  /** Client-process CPU time per read, µs. */
  cpuUsPerRead: number
  spread: { readsPerSec: Spread }
  /** Medians of the per-round throughput ratios, measured in the same rounds. */
  ratioToRaw: number
  ratioToCacheManager: number | undefined
  /** S3 calls during warm-up and rounds: must be 0. */
  originCalls: number
  rounds: RoundResult[]
}

/** Valkey commands one batch ran (`INFO commandstats` deltas after `CONFIG RESETSTAT`). */
export interface HotKeyCommands {
  contender: string
  name: string
  sizeKiB: number
  batches: number
  perBatch: number
  byCommand: Record<string, number>
}

export interface HotKeyResult {
  batch: number
  cells: HotKeyCell[]
  commands: HotKeyCommands[]
}

const BASELINE = 'cache-manager'

/** One operation: `batch` concurrent reads of the cell's one key; the first batch checks every answer. */
function batchOf(batch: number): OperationFactory {
  return (contender, keys, doc, id) => {
    const key = keys[0] as string
    let checked = false
    return async () => {
      const results = await Promise.all(Array.from({ length: batch }, () => contender.read(key)))
      if (!checked) {
        for (const result of results) verify(result, doc, id)
        checked = true
      }
      return results
    }
  }
}

/** Per-round ratio of `a`'s throughput to `b`'s, median. */
function roundRatio(a: CellResult, b: CellResult | undefined): number | undefined {
  if (!b) return undefined
  return round(
    median(
      a.rounds.map(
        (r, i) => r.opsPerSec / ((b.rounds[i] as RoundResult | undefined)?.opsPerSec ?? Number.NaN),
      ),
    ),
  )
}

/**
 * Scenario 8: a hot key. `hotKeyBatch` (64) concurrent reads of one key that is already cached,
 * batch after batch, for every library. core, cache-manager and cachified coalesce concurrent reads
 * of one key in-process; the commands one batch sent show it.
 */
export async function runHotKey(
  env: BenchEnv,
  settings: Settings,
  log: (line: string) => void,
): Promise<HotKeyResult> {
  const batch = settings.hotKeyBatch
  const ids = HOT_KEY_IDS
  const cells = settings.hotKeySizesKiB.map((sizeKiB) => ({ sizeKiB, concurrency: 1, keys: 1 }))
  const timed = await runTimed(env, settings, ids, cells, () => {}, batchOf(batch))
  const results: HotKeyCell[] = timed.map((c) => {
    const baseline = timed.find((b) => b.contender === BASELINE && b.sizeKiB === c.sizeKiB)
    const readsPerSec = round(c.median.opsPerSec * batch)
    return {
      contender: c.contender,
      name: c.name,
      sizeKiB: c.sizeKiB,
      batch,
      readsPerSec,
      batchesPerSec: c.median.opsPerSec,
      p50BatchUs: c.median.p50Us,
      p99BatchUs: c.median.p99Us,
      cpuUsPerRead: round(c.median.cpuUs / batch),
      spread: {
        readsPerSec: {
          min: round(c.spread.opsPerSec.min * batch),
          max: round(c.spread.opsPerSec.max * batch),
          relative: c.spread.opsPerSec.relative,
        },
      },
      ratioToRaw: c.ratioToFloor.throughput,
      ratioToCacheManager: roundRatio(c, baseline),
      originCalls: c.originCalls,
      rounds: c.rounds,
    }
  })
  const commands = await countCommands(env, settings, ids, batch)
  for (const cell of results) {
    const counted = commands.find((c) => c.contender === cell.contender && c.sizeKiB === cell.sizeKiB)
    log(
      `  ${String(cell.sizeKiB).padStart(3)} KiB ×${batch} ${cell.name.padEnd(16)} ${String(cell.readsPerSec).padStart(8)} reads/s  ` +
        `batch p50 ${cell.p50BatchUs} µs  ×raw ${cell.ratioToRaw}  ×${BASELINE} ${cell.ratioToCacheManager ?? '–'}  ` +
        `commands/batch ${counted ? `${counted.perBatch} (${show(counted.byCommand)})` : '–'}${cell.originCalls ? `  ⚠ ${cell.originCalls} S3 calls` : ''}`,
    )
  }
  return { batch, cells: results, commands }
}

const show = (byCommand: Record<string, number>) =>
  Object.entries(byCommand)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')

/** Commands per batch for each library, from `INFO commandstats` deltas over `countedHits` batches. */
async function countCommands(
  env: BenchEnv,
  settings: Settings,
  ids: string[],
  batch: number,
): Promise<HotKeyCommands[]> {
  const { admin } = env
  const out: HotKeyCommands[] = []
  const batches = Math.max(1, Math.min(settings.countedHits, 50))
  for (const sizeKiB of settings.hotKeySizesKiB) {
    const doc = env.docs.find((d) => d.sizeKiB === sizeKiB)
    if (!doc) throw new Error(`no ${sizeKiB} KiB document`)
    for (const id of ids) {
      const contender = await spec(id).create(env.endpoints)
      try {
        // Connects (and loads any script) outside the count; the key is cached already.
        verify(await contender.read(doc.key), doc, id)
        await admin.config('RESETSTAT')
        for (let i = 0; i < batches; i++)
          await Promise.all(Array.from({ length: batch }, () => contender.read(doc.key)))
        const { perOp, byCommand } = commandsPerOp(await commandStats(admin), batches)
        out.push({ contender: id, name: contender.name, sizeKiB, batches, perBatch: perOp, byCommand })
      } finally {
        await contender.close()
      }
    }
  }
  return out
}
