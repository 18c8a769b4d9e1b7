import { AUTO_MIN_BYTES } from '../../../packages/core/src/compression'
import type { BenchResults } from '../results'
import type { BundleResult } from '../scenarios/bundles'
import { rateLabel, type ShapedLinkResult } from '../scenarios/shaped-link'
import type { CellResult, RoundResult } from '../scenarios/timed'
import { median, round } from '../stats'

/** One of the current issue's targets, judged from the results alone. */
export interface TargetVerdict {
  target: string
  met: boolean | undefined
  detail: string
}

const PEERS = ['bentocache', 'cache-manager', 'cachified']
/** The sizes the L2 targets name. */
const L2_SIZES = [1, 10, 100]
/** Per process, core's throughput against the raw floor's, at least. */
const MIN_THROUGHPUT_RATIO = 0.95
/** Per process, core's CPU time per hit against the floor's, at most. */
const MAX_CPU_RATIO = 1.1
/** core's handler bundle against the raw iovalkey handler's, at most. */
const MAX_BUNDLE_RATIO = 1.4
/** core's first request in a fresh process against the floor's, at most. */
const MAX_FIRST_REQUEST_RATIO = 1.2
/** core's import over the floor's, at most, ms. */
const IMPORT_MARGIN_MS = 10
/** The import every S3 handler on iovalkey pays: the floor of core's import time. */
const IMPORT_FLOOR = 'iovalkey + @aws-sdk/client-s3'
const CORE_HANDLER = 'bench/fixtures/handler-core.ts'
const RAW_HANDLER = 'bench/fixtures/handler-raw.ts'
/** Shaped link: core's hits/s over the raw floor's, at least, per rate. */
const LINK_GOALS: { rateMbit: number | null; ratio: number }[] = [
  { rateMbit: 500, ratio: 2 },
  { rateMbit: 1000, ratio: 1.5 },
  { rateMbit: 2000, ratio: 1 },
  { rateMbit: null, ratio: 1 },
]
const LINK_SIZES = [10, 100]

const cell = (cells: CellResult[], id: string, sizeKiB: number, concurrency: number) =>
  cells.find((c) => c.contender === id && c.sizeKiB === sizeKiB && c.concurrency === concurrency)

const sizesOf = (cells: { sizeKiB: number }[]) =>
  [...new Set(cells.map((c) => c.sizeKiB))].sort((a, b) => a - b)

type Part = { ok: boolean; text: string }

/** Joins per-size parts into a verdict; a required size without a number makes it “not measured”. */
function combine(parts: (Part | undefined)[], sizes: number[]): Omit<TargetVerdict, 'target'> {
  const missing = sizes.filter((_, i) => parts[i] === undefined)
  const measured = parts.filter((p): p is Part => p !== undefined)
  const detail = [
    ...measured.map((p) => p.text),
    ...(missing.length ? [`${missing.join(', ')} KiB not measured`] : []),
  ].join('; ')
  if (measured.length === 0) return { met: undefined, detail: detail || 'not measured' }
  // A size that failed fails the target even when another size is missing.
  if (measured.some((p) => !p.ok)) return { met: false, detail }
  return { met: missing.length ? undefined : true, detail }
}

/** `test` for `id`'s cell at each of `sizes` and `concurrency`. */
function perSize(
  cells: CellResult[],
  id: string,
  sizes: number[],
  concurrency: number,
  test: (c: CellResult, size: number) => Part,
) {
  return combine(
    sizes.map((size) => {
      const c = cell(cells, id, size, concurrency)
      return c ? test(c, size) : undefined
    }),
    sizes,
  )
}

/** Median of the per-round ratios `pick(a) / pick(b)` (rounds of one cell run side by side). */
function roundRatio(a: CellResult, b: CellResult, pick: (r: RoundResult) => number): number {
  return round(median(a.rounds.map((r, i) => pick(r) / pick((b.rounds[i] ?? b.rounds[0]) as RoundResult))))
}

/**
 * The same cell without compression, where the default compresses (from 2 KiB): what the entry's
 * decompression costs on this CPU-bound loopback run, against 3–4× fewer bytes and ECPUs per hit.
 */
function withoutCompression(
  l2: CellResult[],
  size: number,
  concurrency: number,
  ratio: (c: CellResult) => number,
): string {
  const plain = cell(l2, 'core-plain', size, concurrency)
  return plain && size * 1024 >= AUTO_MIN_BYTES ? ` (without compression ${ratio(plain)}×)` : ''
}

/** Throughput, at both concurrencies, and CPU per hit at concurrency 1, against the raw floor: one process per contender. */
function perProcessTargets(cells: CellResult[]): TargetVerdict[] {
  const throughput = (concurrency: number) =>
    perSize(cells, 'core', L2_SIZES, concurrency, (core, size) => ({
      ok: core.ratioToFloor.throughput >= MIN_THROUGHPUT_RATIO,
      text: `${size} KiB ${core.ratioToFloor.throughput}×${withoutCompression(cells, size, concurrency, (c) => c.ratioToFloor.throughput)}`,
    }))
  const ahead = perSize(cells, 'core', L2_SIZES, 1, (core, size) => {
    const losers = PEERS.flatMap((id) => {
      const peer = cell(cells, id, size, 1)
      return peer !== undefined && !(core.ratioToFloor.throughput > peer.ratioToFloor.throughput)
        ? [`${peer.name} ${peer.ratioToFloor.throughput}×`]
        : []
    })
    return {
      ok: losers.length === 0,
      text: `${size} KiB ${losers.length ? `core ${core.ratioToFloor.throughput}×, behind ${losers.join(', ')}` : `ahead (core ${core.ratioToFloor.throughput}×, best peer ${bestPeer(cells, size)})`}`,
    }
  })
  const cpu = perSize(cells, 'core', L2_SIZES, 1, (core, size) => {
    const c64 = cell(cells, 'core', size, 64)
    return {
      ok: core.ratioToFloor.cpu <= MAX_CPU_RATIO,
      text: `${size} KiB ${core.ratioToFloor.cpu}× (${core.median.cpuUs} vs ${cell(cells, 'raw', size, 1)?.median.cpuUs ?? '–'} µs)${withoutCompression(cells, size, 1, (c) => c.ratioToFloor.cpu)}${c64 ? `; at c=64 ${c64.ratioToFloor.cpu}×` : ''}`,
    }
  })
  return [
    {
      target: `L2 hit, one process per contender, concurrency 1: core \`getJson\` throughput ≥ ${MIN_THROUGHPUT_RATIO}× the raw floor (1, 10, 100 KiB)`,
      ...throughput(1),
    },
    {
      target:
        'L2 hit, one process per contender, concurrency 1: core ahead of every peer in throughput (every size)',
      ...ahead,
    },
    {
      target: `L2 hit, one process per contender, concurrency 64: core throughput ≥ ${MIN_THROUGHPUT_RATIO}× the raw floor (1, 10, 100 KiB)`,
      ...throughput(64),
    },
    {
      target: `L2 hit, one process per contender: core's CPU time per hit ≤ ${MAX_CPU_RATIO}× the floor's, default options (compression on), concurrency 1 (1, 10, 100 KiB)`,
      ...cpu,
    },
  ]
}

/** The peer with the highest throughput ratio in a cell, as "name ratio×". */
function bestPeer(cells: CellResult[], size: number): string {
  const peers = PEERS.flatMap((id) => cell(cells, id, size, 1) ?? [])
  const best = peers.reduce<CellResult | undefined>(
    (a, b) => (a === undefined || b.ratioToFloor.throughput > a.ratioToFloor.throughput ? b : a),
    undefined,
  )
  return best ? `${best.name} ${best.ratioToFloor.throughput}×` : '–'
}

/** The shaped link's goals: core's hits/s over the raw floor's at each rate, 10 and 100 KiB. */
function shapedLinkTargets(link: ShapedLinkResult): TargetVerdict[] {
  return LINK_GOALS.map(({ rateMbit, ratio }) => {
    const target = `Shaped link (c=${link.concurrency}), ${rateLabel(rateMbit)}: core \`getJson\` ≥ ${ratio.toFixed(1)}× the raw floor's hits/s (10 and 100 KiB)`
    if (link.skipped) return { target, met: undefined, detail: `skipped: ${link.skipped}` }
    const parts = LINK_SIZES.map((size): Part | undefined => {
      const core = link.cells.find(
        (c) => c.contender === 'core' && c.sizeKiB === size && c.rateMbit === rateMbit,
      )
      if (!core) return undefined
      return {
        ok: core.ratioToFloor.throughput >= ratio,
        text: `${size} KiB ${core.ratioToFloor.throughput}× (${core.median.opsPerSec} hits/s, ${core.bytesPerHit} B per hit)`,
      }
    })
    return { target, ...combine(parts, LINK_SIZES) }
  })
}

function bytesTarget(results: BenchResults): TargetVerdict | undefined {
  const list = results.scenarios.bytes
  if (!list) return undefined
  const sizes = [10, 100]
  const parts = sizes.map((size): Part | undefined => {
    const core = list.find((b) => b.contender === 'core' && b.sizeKiB === size)
    const peers = list.filter((b) => b.sizeKiB === size && PEERS.includes(b.contender))
    if (!core || !peers.length) return undefined
    const best = peers.reduce((a, b) => (b.bytesPerHit < a.bytesPerHit ? b : a))
    return {
      ok: core.bytesPerHit <= best.bytesPerHit / 2,
      text: `${size} KiB: core ${core.bytesPerHit} B, best peer ${best.name} ${best.bytesPerHit} B (${Math.round((core.bytesPerHit / best.bytesPerHit) * 100)} %)`,
    }
  })
  return {
    target: 'Bytes per hit ≤ ½ of the best peer’s, at 10 KiB and at 100 KiB',
    ...combine(parts, sizes),
  }
}

function l1Targets(l1: CellResult[]): TargetVerdict[] {
  const sizes = sizesOf(l1)
  const shared = combine(
    sizes.map((size): Part | undefined => {
      const core = cell(l1, 'core-l1-shared', size, 1)
      const bento = cell(l1, 'bentocache-l1', size, 1)
      if (!core || !bento) return undefined
      const faster = roundRatio(bento, core, (r) => r.p50Us)
      return {
        ok: faster >= 3,
        text: `${size} KiB ${faster}× faster (${core.median.p50Us} vs ${bento.median.p50Us} µs)`,
      }
    }),
    sizes,
  )
  return [
    {
      target: 'L1 hit: `getJson` p50 ≤ 1.2× the lru-cache + `JSON.parse` floor (every size)',
      ...perSize(l1, 'core-l1', sizes, 1, (core, size) => ({
        ok: core.ratioToFloor.p50 <= 1.2,
        text: `${size} KiB ${core.ratioToFloor.p50}×`,
      })),
    },
    {
      target: 'L1 hit with `shareParsed`: p50 at least 3× faster than bentocache’s L1 (every size)',
      ...shared,
    },
  ]
}

function hotKeyTarget(results: BenchResults): TargetVerdict | undefined {
  const hot = results.scenarios.hotKey
  if (!hot) return undefined
  const sizes = sizesOf(hot.cells)
  const parts = sizes.map((size): Part | undefined => {
    // cache-manager hands its coalesced callers one shared object: core's like for like is shareParsed.
    const shared = hot.cells.find((c) => c.contender === 'core-shared' && c.sizeKiB === size)
    const copies = hot.cells.find((c) => c.contender === 'core' && c.sizeKiB === size)
    const cm = hot.cells.find((c) => c.contender === 'cache-manager' && c.sizeKiB === size)
    if (!shared || !cm || shared.ratioToCacheManager === undefined) return undefined
    return {
      ok: shared.ratioToCacheManager >= 1,
      text: `${size} KiB ${shared.ratioToCacheManager}× (${shared.readsPerSec} vs ${cm.readsPerSec} reads/s; default core, a copy per caller: ${copies?.ratioToCacheManager ?? '–'}×)${shared.ratioToCacheManager < 1 ? ': each of the 64 callers still goes through its own getJson (key lookup, read path, shared-value lookup) where cache-manager hands all waiters one promise' : ''}`,
    }
  })
  return {
    target: `Hot key (${hot.batch} concurrent reads of one cached key): core with \`shareParsed\` (one shared value, as cache-manager hands out) ≥ cache-manager’s reads/s (each size)`,
    ...combine(parts, sizes),
  }
}

function coldStartTargets(results: BenchResults): TargetVerdict[] {
  const cold = results.scenarios.coldStart
  if (!cold) return []
  const verdicts: TargetVerdict[] = []
  const first = cold.firstRequest
  verdicts.push({
    target: `First request in a fresh process (client creation, connect and one hit): ≤ ${MAX_FIRST_REQUEST_RATIO}× the floor's (iovalkey, its S3 client made before the timer like core's)`,
    met: first ? first.ratio <= MAX_FIRST_REQUEST_RATIO : undefined,
    detail: first
      ? `${first.ratio}× (core ${first.core.medianMs} ms [${first.core.loadedFrom}], raw ${first.raw.medianMs} ms)` +
        (first.coreKnownMode
          ? `; with \`cluster: false\` ${first.ratioKnownMode}× (${first.coreKnownMode.medianMs} ms): the default \`cluster: 'auto'\` asks \`INFO cluster\` first on a host it does not recognise (an ElastiCache Serverless host name is recognised: no probe)`
          : '') +
        (first.coreConnected
          ? `; after \`cache.connect()\` in INIT (${first.coreConnected.initMedianMs} ms there), the first request takes ${first.coreConnected.medianMs} ms`
          : '')
      : 'not measured',
  })
  const core = cold.imports.find((i) => i.name === 'core')
  const floor = cold.imports.find((i) => i.name === IMPORT_FLOOR)
  const iovalkey = cold.imports.find((i) => i.name === 'iovalkey alone')
  verdicts.push({
    target: `Import time of core ≤ the floor's (a handler on iovalkey imports \`@aws-sdk/client-s3\` too) + ${IMPORT_MARGIN_MS} ms`,
    met: core && floor ? core.medianImportMs <= floor.medianImportMs + IMPORT_MARGIN_MS : undefined,
    detail:
      core && floor
        ? `core ${core.medianImportMs} ms [${core.loadedFrom}], iovalkey + @aws-sdk/client-s3 ${floor.medianImportMs} ms (${signed(round(core.medianImportMs - floor.medianImportMs))} ms)${iovalkey ? `; iovalkey alone ${iovalkey.medianImportMs} ms` : ''}`
        : 'not measured',
  })
  const bundle = cold.bundles.find((b) => b.entry === CORE_HANDLER)
  const rawBundle = cold.bundles.find((b) => b.entry === RAW_HANDLER)
  const limit = rawBundle?.bytes === undefined ? undefined : rawBundle.bytes * MAX_BUNDLE_RATIO
  verdicts.push({
    target: `Minimal handler bundle (\`handler-core\`: createS3Cache + getJson) ≤ ${MAX_BUNDLE_RATIO}× the same handler on raw iovalkey (\`handler-raw\`), esbuild minified, \`@aws-sdk/*\` external`,
    met: bundle?.bytes === undefined || limit === undefined ? undefined : bundle.bytes <= limit,
    detail:
      bundle?.bytes === undefined || rawBundle?.bytes === undefined || limit === undefined
        ? bundle?.error
          ? `bundle failed: ${bundle.error}`
          : 'not measured'
        : `${(bundle.bytes / 1000).toFixed(1)} KB = ${round(bundle.bytes / rawBundle.bytes)}× ${(rawBundle.bytes / 1000).toFixed(1)} KB (limit ${(limit / 1000).toFixed(1)} KB)${bundleContext(bundle, limit)}`,
  })
  return verdicts
}

const signed = (n: number) => (n > 0 ? `+${n}` : String(n))

/** What the core handler is made of: core's own code against what the limit leaves over it. */
function bundleContext(core: BundleResult, limit: number): string {
  const own = core.largest?.find((part) => part.name === '@valkey-s3-cache/core')
  return own
    ? `; core's own code is ${(own.bytes / 1000).toFixed(1)} KB of it, ${core.bytes !== undefined && core.bytes > limit ? `${((core.bytes - limit) / 1000).toFixed(1)} KB over the limit` : 'within the limit'}`
    : ''
}

export function judgeTargets(results: BenchResults): TargetVerdict[] {
  const verdicts: TargetVerdict[] = []
  const perProcess = results.scenarios.l2HitPerProcess
  if (perProcess) verdicts.push(...perProcessTargets(perProcess))
  const trips = results.scenarios.roundTrips?.find((r) => r.contender === 'core')
  if (trips) {
    verdicts.push({
      target: 'Exactly 1 Valkey command per L2 hit',
      met: trips.hit.commands === 1 && trips.hit.sent === 1,
      detail: `${trips.hit.sent} sent, ${trips.hit.commands} run (${Object.entries(trips.hit.byCommand)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')})`,
    })
  }
  const bytes = bytesTarget(results)
  if (bytes) verdicts.push(bytes)
  const l1 = results.scenarios.l1Hit
  if (l1) verdicts.push(...l1Targets(l1))
  const hot = hotKeyTarget(results)
  if (hot) verdicts.push(hot)
  verdicts.push(...coldStartTargets(results))
  const stampede = results.scenarios.stampede?.find((s) => s.contender === 'core')
  const link = results.scenarios.shapedLink
  if (link) verdicts.push(...shapedLinkTargets(link))
  if (stampede) {
    const totals = stampede.trials.map((t) => t.total)
    verdicts.push({
      target: `Stampede (${stampede.children} processes × ${stampede.readsPerChild} reads of one cold key): 1 origin call for core`,
      met: totals.every((t) => t === 1) && stampede.trials.every((t) => t.errors === 0),
      detail: `origin calls per trial: ${totals.join(', ')}`,
    })
  }
  return verdicts
}
