import { type Contender, spec } from '../contenders'
import type { BenchEnv } from '../env'
import { measure, warmUp } from '../measure'
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

/** Checks that a read returned the document (a parsed value, or a CachedObject's bytes). */
export function verify(result: unknown, doc: BenchDoc, who: string): void {
  const body = (result as { body?: unknown })?.body
  const text = body instanceof Uint8Array ? Buffer.from(body).toString('utf8') : JSON.stringify(result)
  if (text !== doc.json) throw new Error(`${who} returned something other than ${doc.key}`)
}

function order<T>(items: T[], round: number): T[] {
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

const oneRead: OperationFactory = (contender, keys) => {
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
    // Every key of every cell is loaded once (a miss, from S3) and read once more (a hit) by every contender.
    const loads = new Map<string, BenchDoc>()
    for (const cell of cells) for (const key of keysFor(docOf(cell), cell.keys)) loads.set(key, docOf(cell))
    for (const { id, contender } of running) {
      await forEachLimit([...loads], 16, async ([key, doc]) => {
        verify(await contender.read(key), doc, id)
        verify(await contender.read(key), doc, id)
      })
    }
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
          const d = distribution(sample.latenciesMs)
          const entry = samples.get(id)
          entry?.rounds.push({
            ops: sample.ops,
            opsPerSec: round((sample.ops / sample.elapsedMs) * 1000),
            p50Us: d.p50,
            p99Us: d.p99,
            cpuUs: round(sample.cpuUs / sample.ops),
          })
          entry?.latencies.push(sample.latenciesMs)
        }
      }
      const floor = samples.get(running[0]?.id ?? '')?.rounds ?? []
      running.forEach(({ id, contender }, index) => {
        const { rounds, latencies } = samples.get(id) ?? { rounds: [], latencies: [] }
        const ratios = (pick: (a: RoundResult, f: RoundResult) => number) =>
          round(median(rounds.map((a, i) => pick(a, floor[i] as RoundResult))))
        const all = new Float64Array(latencies.reduce((n, l) => n + l.length, 0))
        let offset = 0
        for (const l of latencies) {
          all.set(l, offset)
          offset += l.length
        }
        const cellResult: CellResult = {
          contender: id,
          name: contender.name,
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
          originCalls: contender.originCalls() - (before[index] ?? 0),
        }
        results.push(cellResult)
        log(
          `  ${String(cell.sizeKiB).padStart(3)} KiB c=${String(cell.concurrency).padEnd(2)} ${contender.name.padEnd(24)} ` +
            `${String(cellResult.median.opsPerSec).padStart(8)} ops/s  p50 ${cellResult.median.p50Us} µs  ` +
            `p99 ${cellResult.median.p99Us} µs  cpu ${cellResult.median.cpuUs} µs  ×floor thr ${cellResult.ratioToFloor.throughput} p50 ${cellResult.ratioToFloor.p50}`,
        )
      })
    }
  } finally {
    for (const { contender } of running) await contender.close()
  }
  return results
}

function roundSpread(s: Spread): Spread {
  return { min: round(s.min), max: round(s.max), relative: round(s.relative) }
}
