import { type Contender, spec } from '../contenders'
import type { BenchEnv } from '../env'
import { measure, type Sample, warmUp } from '../measure'
import type { BenchDoc } from '../payload'
import type { Settings } from '../settings'
import { type Distribution, distribution, median, round, type Spread, spread } from '../stats'

export interface RoundResult {
  ops: number
  opsPerSec: number
  p50Us: number
  p99Us: number
  /** Client-process CPU time per operation, µs. */
  cpuUs: number
}

/** One contender in one (size, concurrency) cell: every round, medians, spreads and ratios to the floor. */
export interface CellResult {
  contender: string
  name: string
  sizeKiB: number
  concurrency: number
  keys: number
  rounds: RoundResult[]
  median: { opsPerSec: number; p50Us: number; p99Us: number; cpuUs: number }
  spread: { opsPerSec: Spread; p50Us: Spread }
  /** Medians of the per-round ratios to the floor (the first contender), measured in the same rounds. */
  ratioToFloor: { throughput: number; p50: number; p99: number; cpu: number }
  /** Percentiles over all rounds' operations. */
  distribution: Distribution
  /** S3 calls during warm-up and rounds: must be 0, or the cell measured something other than hits. */
  originCalls: number
}

export interface Cell {
  sizeKiB: number
  concurrency: number
  /** Distinct keys read round-robin (all holding the same document), so concurrent reads do not share a key. */
  keys: number
}

/** The S3 keys of a cell: the document's own key, or `keys` copies of it. */
export function keysFor(doc: BenchDoc, count: number): string[] {
  if (count <= 1) return [doc.key]
  return Array.from({ length: count }, (_, i) => doc.key.replace(/\.json$/, `-${i}.json`))
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function forEachLimit<T>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < items.length) await fn(items[next++] as T)
  }
  await Promise.all(Array.from({ length: limit }, worker))
}

type Log = (line: string) => void

/** Every key is loaded once (a miss, from S3) and read once more (a hit), both answers checked. */
export async function fillCache(contender: Contender, id: string, loads: [key: string, doc: BenchDoc][]) {
  await forEachLimit(loads, 16, async ([key, doc]) => {
    verify(await contender.read(key), doc, id)
    verify(await contender.read(key), doc, id)
  })
}

/** Checks that a read returned the document (a parsed value, or a CachedObject's bytes). */
export function verify(result: unknown, doc: BenchDoc, who: string): void {
  const body = (result as { body?: unknown })?.body
  const text = body instanceof Uint8Array ? Buffer.from(body).toString('utf8') : JSON.stringify(result)
  if (text !== doc.json) throw new Error(`${who} returned something other than ${doc.key}`)
}

/** `items` rotated by `round`: contenders take turns going first. */
export function order<T>(items: T[], round: number): T[] {
  const shift = round % items.length
  return [...items.slice(shift), ...items.slice(0, shift)]
}

/** What one timed operation is: by default one read, round-robin over the cell's keys. */
export type OperationFactory = (
  contender: Contender,
  keys: string[],
  doc: BenchDoc,
  id: string,
) => () => Promise<unknown>

/** One read per operation, round-robin over the cell's keys. */
export const oneRead: OperationFactory = (contender, keys) => {
  let next = 0
  return () => contender.read(keys[next++ % keys.length] as string)
}

/**
 * Runs each cell for every contender: warm-up, then `settings.rounds` rounds, each contender
 * once per round in a rotating order, all against the same servers in this process.
 */
export async function runTimed(
  env: BenchEnv,
  settings: Settings,
  ids: string[],
  cells: Cell[],
  log: Log,
  operation: OperationFactory = oneRead,
): Promise<CellResult[]> {
  const running: { id: string; contender: Contender }[] = []
  const results: CellResult[] = []
  try {
    for (const id of ids) running.push({ id, contender: await spec(id).create(env.endpoints) })
    const docOf = (cell: Cell) => {
      const doc = env.docs.find((d) => d.sizeKiB === cell.sizeKiB)
      if (!doc) throw new Error(`no ${cell.sizeKiB} KiB document`)
      return doc
    }
    const loads = new Map<string, BenchDoc>()
    for (const cell of cells) for (const key of keysFor(docOf(cell), cell.keys)) loads.set(key, docOf(cell))
    for (const { id, contender } of running) await fillCache(contender, id, [...loads])
    for (const cell of cells) {
      const doc = docOf(cell)
      const keys = keysFor(doc, cell.keys)
      const before = running.map(({ contender }) => contender.originCalls())
      const ops = new Map(running.map(({ id, contender }) => [id, operation(contender, keys, doc, id)]))
      const reader = (id: string) => ops.get(id) as () => Promise<unknown>
      for (const { id } of running) await warmUp(reader(id), settings.warmupOps, cell.concurrency)
      const samples = new Map<string, { rounds: RoundResult[]; latencies: Float64Array[] }>(
        running.map(({ id }) => [id, { rounds: [], latencies: [] }]),
      )
      for (let r = 0; r < settings.rounds; r++) {
        for (const { id } of order(running, r)) {
          // A full GC before each sample, so one contender's garbage is not collected on another's time.
          if (settings.mode !== 'dry') (globalThis as { gc?: () => void }).gc?.()
          const sample = await measure(reader(id), {
            concurrency: cell.concurrency,
            minMs: settings.minMs,
            minOps: settings.minOps,
          })
          const entry = samples.get(id)
          entry?.rounds.push(roundOf(sample))
          entry?.latencies.push(sample.latenciesMs)
        }
      }
      const measured = running.map(({ id, contender }, index) => ({
        id,
        name: contender.name,
        ...(samples.get(id) ?? { rounds: [], latencies: [] }),
        originCalls: contender.originCalls() - (before[index] ?? 0),
      }))
      for (const result of summarizeCell(cell, measured)) {
        results.push(result)
        logCell(log, result)
      }
    }
  } finally {
    for (const { contender } of running) await contender.close()
  }
  return results
}

/** One timed sample as a round of its cell. */
export function roundOf(sample: Sample): RoundResult {
  const d = distribution(sample.latenciesMs)
  return {
    ops: sample.ops,
    opsPerSec: round((sample.ops / sample.elapsedMs) * 1000),
    p50Us: d.p50,
    p99Us: d.p99,
    cpuUs: round(sample.cpuUs / sample.ops),
  }
}

/** What one contender measured in one cell: its rounds, their latencies, its S3 calls. */
export interface MeasuredCell {
  id: string
  name: string
  rounds: RoundResult[]
  latencies: Float64Array[]
  originCalls: number
}

/** Medians, spreads, percentiles and per-round ratios to the first entry (the floor), measured in the same rounds. */
export function summarizeCell(cell: Cell, measured: MeasuredCell[]): CellResult[] {
  const floor = measured[0]?.rounds ?? []
  return measured.map(({ id, name, rounds, latencies, originCalls }) => {
    const ratios = (pick: (a: RoundResult, f: RoundResult) => number) =>
      round(median(rounds.map((a, i) => pick(a, floor[i] as RoundResult))))
    const all = new Float64Array(latencies.reduce((n, l) => n + l.length, 0))
    let offset = 0
    for (const l of latencies) {
      all.set(l, offset)
      offset += l.length
    }
    return {
      contender: id,
      name,
      sizeKiB: cell.sizeKiB,
      concurrency: cell.concurrency,
      keys: cell.keys,
      rounds,
      median: {
        opsPerSec: round(median(rounds.map((x) => x.opsPerSec))),
        p50Us: round(median(rounds.map((x) => x.p50Us))),
        p99Us: round(median(rounds.map((x) => x.p99Us))),
        cpuUs: round(median(rounds.map((x) => x.cpuUs))),
      },
      spread: {
        opsPerSec: roundSpread(spread(rounds.map((x) => x.opsPerSec))),
        p50Us: roundSpread(spread(rounds.map((x) => x.p50Us))),
      },
      ratioToFloor: {
        throughput: ratios((a, f) => a.opsPerSec / f.opsPerSec),
        p50: ratios((a, f) => a.p50Us / f.p50Us),
        p99: ratios((a, f) => a.p99Us / f.p99Us),
        cpu: ratios((a, f) => a.cpuUs / f.cpuUs),
      },
      distribution: distribution(all),
      originCalls,
    }
  })
}

export function logCell(log: Log, c: CellResult): void {
  log(
    `  ${String(c.sizeKiB).padStart(3)} KiB c=${String(c.concurrency).padEnd(2)} ${c.name.padEnd(24)} ` +
      `${String(c.median.opsPerSec).padStart(8)} ops/s  p50 ${c.median.p50Us} µs  ` +
      `p99 ${c.median.p99Us} µs  cpu ${c.median.cpuUs} µs  ×floor thr ${c.ratioToFloor.throughput} p50 ${c.ratioToFloor.p50} cpu ${c.ratioToFloor.cpu}`,
  )
}

function roundSpread(s: Spread): Spread {
  return { min: round(s.min), max: round(s.max), relative: round(s.relative) }
}
