import type { BenchResults } from '../results'
import type { CellResult } from '../scenarios/timed'
import { num, pct, ratio, table, us } from './format'

const sizesOf = (cells: CellResult[]) => [...new Set(cells.map((c) => c.sizeKiB))].sort((a, b) => a - b)
const levelsOf = (cells: CellResult[]) => [...new Set(cells.map((c) => c.concurrency))].sort((a, b) => a - b)
const idsOf = (cells: CellResult[]) => [...new Set(cells.map((c) => c.contender))]

/**
 * The per-process L2 hit as one table: per size and contender, hits/s and CPU µs per hit at each
 * concurrency, each with its ratio to the raw floor (medians of per-round ratios), and p50 at the lowest.
 */
export function perProcessTable(cells: CellResult[]): string {
  const levels = levelsOf(cells)
  const lowest = levels[0]
  const rows = sizesOf(cells).flatMap((size) =>
    idsOf(cells).map((id) => {
      const at = (c: number) =>
        cells.find((x) => x.contender === id && x.sizeKiB === size && x.concurrency === c)
      const any = cells.find((x) => x.contender === id)
      const flagged = levels.some((c) => (at(c)?.originCalls ?? 0) > 0)
      return [
        `${size} KiB`,
        `${any?.name ?? id}${flagged ? ' ⚠ S3 calls' : ''}`,
        ...levels.flatMap((c) => {
          const x = at(c)
          return [
            `${num(x?.median.opsPerSec)} ${x ? pct(x.spread.opsPerSec.relative) : ''}`,
            ratio(x?.ratioToFloor.throughput),
            num(x?.median.cpuUs),
            ratio(x?.ratioToFloor.cpu),
          ]
        }),
        us(lowest === undefined ? undefined : at(lowest)?.median.p50Us),
      ]
    }),
  )
  return table(
    [
      'size',
      'contender',
      ...levels.flatMap((c) => [`c=${c} hits/s`, `c=${c} ×raw`, `c=${c} CPU µs/hit`, `c=${c} CPU ×raw`]),
      `c=${lowest} p50`,
    ],
    rows,
  )
}

/** The per-process part of section 1: how it runs, its chart and its table. */
export function perProcessParts(results: BenchResults): string[] {
  const cells = results.scenarios.l2HitPerProcess
  if (!cells?.length) return []
  const { settings } = results
  return [
    '### One process per contender',
    `Each contender runs in a child process of its own (as each Lambda instance is a process of its own), all against the same \`valkey-server\`; the parent takes one sample at a time, contenders in a rotating order per round, ${settings.processRounds} rounds of at least ${settings.processMinMs} ms and ${settings.minOps} hits each, so no contender’s garbage collection, timers or JIT share another’s process or time; no sample starts with a forced full GC, which shrank the young generation before every sample as no process serving requests has it (at c=64, 1 KiB, core measured 0.84× raw with it and 1.09× without). CPUs: ${results.machine.cpuPinning ?? 'not pinned'} (\`taskset\`), since a Lambda and its ElastiCache node never share a CPU; left to the scheduler on 2 cores, a round trip at concurrency 1 costs a context switch or not depending on where each process landed, and ratios moved by ±0.25 between runs. CPU is the contender process’s own CPU time (\`process.cpuUsage\`, user + system) per hit, which moves less than throughput when other work shares this machine’s ${results.machine.cores} cores. **×raw** columns are medians of the per-round ratios to the raw floor (throughput: higher is better; CPU: lower is better). “core, no compression” is a diagnostic (\`compression: false\`): the difference to “core” is what decompressing an entry costs a hit.`,
    '![L2 hit throughput, one process per contender](benchmarks/l2-per-process-throughput.svg)',
    perProcessTable(cells),
    '### All contenders in one process',
  ]
}
