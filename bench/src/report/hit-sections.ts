import type { BenchResults } from '../results'
import type { CellResult, RoundResult } from '../scenarios/timed'
import { median, round } from '../stats'
import { num, pct, ratio, table, us } from './format'
import { perProcessParts } from './per-process-section'

const sizesOf = (cells: CellResult[]) => [...new Set(cells.map((c) => c.sizeKiB))].sort((a, b) => a - b)
const namesOf = (cells: CellResult[]) => [...new Set(cells.map((c) => c.contender))]
const find = (cells: CellResult[], id: string, size: number, concurrency: number) =>
  cells.find((c) => c.contender === id && c.sizeKiB === size && c.concurrency === concurrency)

function flag(c: CellResult | undefined): string {
  return c && c.originCalls > 0 ? ` ⚠ (c=${c.concurrency}: ${c.originCalls} S3)` : ''
}

/** Median of the per-round ratios `pick(a) / pick(b)` of two cells measured in the same rounds. */
function roundRatio(a: CellResult | undefined, b: CellResult | undefined, pick: (r: RoundResult) => number) {
  if (!a || !b) return undefined
  return round(median(a.rounds.map((r, i) => pick(r) / pick((b.rounds[i] ?? b.rounds[0]) as RoundResult))))
}

/** The GLIDE rows against their iovalkey twins, per size: p50 at concurrency 1, throughput at the highest. */
function glideParagraph(cells: CellResult[]): string | undefined {
  if (!cells.some((c) => c.contender === 'glide' || c.contender === 'core-glide')) return undefined
  const high = Math.max(...cells.map((c) => c.concurrency))
  const pair = (a: string, b: string, size: number) => {
    const p50 = roundRatio(find(cells, a, size, 1), find(cells, b, size, 1), (r) => r.p50Us)
    const thr = roundRatio(find(cells, a, size, high), find(cells, b, size, high), (r) => r.opsPerSec)
    return `p50 ${ratio(p50)}, c=${high} throughput ${ratio(thr)}`
  }
  const lines = sizesOf(cells).map(
    (size) =>
      `- ${size} KiB: raw GLIDE / raw iovalkey ${pair('glide', 'raw', size)}; core on GLIDE / raw GLIDE ${pair('core-glide', 'glide', size)}; core on GLIDE / core on iovalkey ${pair('core-glide', 'core', size)}`,
  )
  return [
    `GLIDE rows: “raw GLIDE” is the raw floor on a standalone \`GlideClient\` of \`@valkey/valkey-glide\` (\`get(key, { decoder: Decoder.Bytes })\` + \`JSON.parse\`, logger off); “core on GLIDE” is core’s \`getJson\` with that client as its \`valkey\` option. GLIDE runs its Rust core on threads of its own, which the CPU column counts (it is the process’s CPU time). Medians of per-round ratios, measured in the same rounds (p50: lower is better; throughput: higher is better):`,
    lines.join('\n'),
  ].join('\n\n')
}

export function l2Section(results: BenchResults): string {
  const cells = results.scenarios.l2Hit
  const perProcess = perProcessParts(results)
  if (!cells?.length && !perProcess.length) return ''
  const { settings } = results
  const heading = [
    '## 1. L2 hit (Valkey, no L1)',
    `Each library reads a JSON document it stored itself, through its natural API; every read is a Valkey hit (a contender that called S3 during the rounds is flagged ⚠). Reads go round-robin over ${settings.keyPool} keys holding copies of the document, so concurrent reads never share a key (core, cache-manager and cachified coalesce concurrent reads of one key in-process, which would measure coalescing rather than hits).`,
  ]
  if (!cells?.length) return [...heading, ...perProcess.slice(0, -1)].join('\n\n')
  const parts = [
    ...heading,
    ...perProcess,
    `${perProcess.length ? 'The same L2 hit with every contender in the benchmark process itself (a second view: the contenders share one heap, event loop and CPU account), GLIDE rows included. ' : ''}**×floor** columns are medians of per-round ratios to the raw floor measured in the same rounds: latency ratio (lower is better) at concurrency 1, throughput ratio (higher is better) at concurrency 64. Spread is half the min–max range of the rounds over the median. CPU is the benchmark process's CPU time per hit at concurrency 1 (user + system), which a busy machine disturbs less than wall time.`,
    '![L2 hit throughput](benchmarks/l2-throughput.svg)',
    '![L2 hit latency percentiles](benchmarks/l2-latency.svg)',
  ]
  const flagged = cells.filter((c) => c.originCalls > 0)
  if (flagged.length) {
    parts.push(
      `⚠ marks S3 calls during a cell’s warm-up and rounds (${flagged.map((c) => `${c.name}, ${c.sizeKiB} KiB, c=${c.concurrency}: ${c.originCalls}`).join('; ')}). For core these are fail-open reads: a Valkey reply took longer than core’s per-command timeout (\`timeouts.valkey\`, 250 ms by default), so core answered from S3 instead, as designed; they happen when the machine is saturated.`,
    )
  }
  const codec = sizesOf(cells).flatMap((size) => {
    const [raw, core, plain] = ['raw', 'core', 'core-plain'].map((id) => find(cells, id, size, 1))
    return raw && core && plain
      ? [
          `${size} KiB: ${num(core.median.cpuUs)} µs with the default codec, ${num(plain.median.cpuUs)} µs without compression, ${num(raw.median.cpuUs)} µs for the floor`,
        ]
      : []
  })
  if (codec.length) {
    parts.push(
      `The diagnostic row “core, no compression” is core with \`compression: false\`: the difference to “core” is what decompressing the stored entry costs per hit (the default stores bodies under 2 KiB as they are, raw deflate up to 64 KiB, zstd above). CPU per hit at concurrency 1 — ${codec.join('; ')}.`,
    )
  }
  const glide = glideParagraph(cells)
  if (glide) parts.push(glide)
  for (const size of sizesOf(cells)) {
    const rows = namesOf(cells).map((id) => {
      const a = find(cells, id, size, 1)
      const b = find(cells, id, size, 64)
      return [
        `${a?.name ?? b?.name ?? id}${flag(a)}${flag(b)}`,
        us(a?.median.p50Us),
        us(a?.median.p99Us),
        num(a?.median.cpuUs),
        ratio(a?.ratioToFloor.p50),
        `${num(b?.median.opsPerSec)} ${b ? pct(b.spread.opsPerSec.relative) : ''}`,
        us(b?.median.p99Us),
        ratio(b?.ratioToFloor.throughput),
      ]
    })
    parts.push(
      `${perProcess.length ? '####' : '###'} ${size} KiB JSON`,
      table(
        [
          'contender',
          'c=1 p50',
          'c=1 p99',
          'c=1 CPU µs/hit',
          'c=1 ×floor latency',
          'c=64 hits/s (spread)',
          'c=64 p99',
          'c=64 ×floor throughput',
        ],
        rows,
      ),
    )
  }
  return parts.join('\n\n')
}

export function l1Section(results: BenchResults): string {
  const cells = results.scenarios.l1Hit
  if (!cells?.length) return ''
  const sizes = sizesOf(cells)
  const rows = namesOf(cells).map((id) => [
    cells.find((c) => c.contender === id)?.name ?? id,
    ...sizes.flatMap((size) => {
      const c = find(cells, id, size, 1)
      return [us(c?.median.p50Us), ratio(c?.ratioToFloor.p50)]
    }),
  ])
  return [
    '## 2. L1 hit (in-process)',
    'Concurrency 1. The floor is a bare `lru-cache` lookup of the JSON text plus `JSON.parse`, which like core’s `getJson` and bentocache’s serialized memory driver returns a fresh object per read; the bare lookup of a shared parsed object is shown too. core’s `get` returns the cached bytes without parsing.',
    '![L1 hit latency percentiles](benchmarks/l1-latency.svg)',
    table(['contender', ...sizes.flatMap((s) => [`${s} KiB p50`, `${s} KiB ×floor`])], rows),
  ].join('\n\n')
}

export function originSection(results: BenchResults): string {
  const origin = results.scenarios.origin
  if (!origin?.length) return ''
  const l2 = results.scenarios.l2Hit ?? []
  const l1 = results.scenarios.l1Hit ?? []
  const rows = sizesOf(origin).map((size) => {
    const s3 = find(origin, 's3', size, 1)
    const hit = find(l2, 'core', size, 1)
    const local = find(l1, 'core-l1', size, 1)
    return [
      `${size} KiB`,
      us(s3?.median.p50Us),
      us(s3?.median.p99Us),
      us(hit?.median.p50Us),
      us(local?.median.p50Us),
      s3 && hit ? `${(s3.median.p50Us / hit.median.p50Us).toFixed(1)}×` : '–',
    ]
  })
  return [
    '## 7. Origin: what a hit saves',
    'A direct `GetObject` + `JSON.parse` from the local S3 server (s3rver, in the benchmark process, over loopback), at concurrency 1. Real S3 from Lambda typically takes 10–50 ms, so the savings in production are larger than shown here.',
    table(
      ['document', 'S3 GetObject p50', 'S3 p99', 'core L2 hit p50', 'core L1 hit p50', 'S3 / L2 hit'],
      rows,
    ),
  ].join('\n\n')
}
