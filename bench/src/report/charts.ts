import * as vega from 'vega'
import { compile, type TopLevelSpec } from 'vega-lite'
import type { BenchResults } from '../results'
import { rateLabel, type ShapedLinkResult } from '../scenarios/shaped-link'
import type { CellResult } from '../scenarios/timed'

export interface Chart {
  /** File name under docs/benchmarks/. */
  file: string
  title: string
  svg: string
}

/** One colour per contender in every chart. */
const PALETTE: Record<string, string> = {
  'raw floor': '#7f7f7f',
  'raw GLIDE': '#b8860b',
  core: '#1f77b4',
  'core on GLIDE': '#17becf',
  'core + zod': '#6baed6',
  'core, no compression': '#9ecae1',
  'core L1 shared': '#fd8d3c',
  'core, shareParsed': '#08519c',
  bentocache: '#ff7f0e',
  'cache-manager': '#2ca02c',
  cachified: '#d62728',
  'lru-cache + JSON.parse': '#7f7f7f',
  'lru-cache get': '#bdbdbd',
  'core L1 getJson': '#1f77b4',
  'core L1 get': '#6baed6',
  'bentocache L1': '#ff7f0e',
}

function colour(names: string[]) {
  return { domain: names, range: names.map((n) => PALETTE[n] ?? '#333333') }
}

const FONT = {
  font: 'Helvetica, Arial, sans-serif',
  labelFont: 'Helvetica, Arial, sans-serif',
  titleFont: 'Helvetica, Arial, sans-serif',
}

async function render(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' })
  const svg = await view.toSVG()
  view.finalize()
  return svg
}

function namesOf(cells: CellResult[]): string[] {
  return [...new Set(cells.map((c) => c.name))]
}

/** Median ops/s per contender with the min–max of the rounds, faceted by size and concurrency. */
function throughputSpec(
  cells: CellResult[],
  title = 'L2 hit throughput (median of rounds; whiskers: min–max)',
): TopLevelSpec {
  const names = namesOf(cells)
  const values = cells.map((c) => ({
    contender: c.name,
    size: `${c.sizeKiB} KiB`,
    concurrency: `concurrency ${c.concurrency}`,
    ops: c.median.opsPerSec,
    min: c.spread.opsPerSec.min,
    max: c.spread.opsPerSec.max,
  }))
  const x = { field: 'contender', type: 'nominal', sort: names, axis: null } as const
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    data: { values },
    facet: {
      row: { field: 'concurrency', type: 'nominal', title: null },
      column: { field: 'size', type: 'nominal', title: null, sort: ['1 KiB', '10 KiB', '100 KiB'] },
    },
    spec: {
      width: 190,
      height: 150,
      layer: [
        {
          mark: 'bar',
          encoding: {
            x,
            y: { field: 'ops', type: 'quantitative', title: 'hits/s' },
            color: { field: 'contender', type: 'nominal', sort: names, scale: colour(names), title: null },
          },
        },
        {
          mark: { type: 'rule', color: 'black' },
          encoding: { x, y: { field: 'min', type: 'quantitative' }, y2: { field: 'max' } },
        },
      ],
    },
    resolve: { scale: { y: 'independent' } },
    config: { ...FONT, legend: { orient: 'bottom', columns: 4, labelLimit: 300 } },
  }
}

/** Latency percentiles over all rounds, log scale, one line per contender. */
function latencySpec(cells: CellResult[], title: string): TopLevelSpec {
  const names = namesOf(cells)
  const labels = ['p50', 'p75', 'p90', 'p95', 'p99', 'p99.9'] as const
  const keys = ['p50', 'p75', 'p90', 'p95', 'p99', 'p999'] as const
  const values = cells.flatMap((c) =>
    keys.map((k, i) => ({
      contender: c.name,
      size: `${c.sizeKiB} KiB`,
      percentile: labels[i],
      us: c.distribution[k],
    })),
  )
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    data: { values },
    facet: { column: { field: 'size', type: 'nominal', title: null, sort: ['1 KiB', '10 KiB', '100 KiB'] } },
    spec: {
      width: 210,
      height: 190,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'percentile', type: 'ordinal', sort: [...labels], title: null },
        y: { field: 'us', type: 'quantitative', scale: { type: 'log' }, title: 'latency (µs, log)' },
        color: { field: 'contender', type: 'nominal', sort: names, scale: colour(names), title: null },
      },
    },
    resolve: { scale: { y: 'independent' } },
    config: { ...FONT, legend: { orient: 'bottom', columns: 4, labelLimit: 300 } },
  }
}

function bytesSpec(results: BenchResults): TopLevelSpec | undefined {
  const bytes = results.scenarios.bytes
  if (!bytes?.length) return undefined
  const names = [...new Set(bytes.map((b) => b.name))]
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Bytes Valkey sends per hit',
    data: {
      values: bytes.map((b) => ({ contender: b.name, size: `${b.sizeKiB} KiB JSON`, bytes: b.bytesPerHit })),
    },
    facet: { column: { field: 'size', type: 'nominal', title: null } },
    spec: {
      width: 220,
      height: 170,
      layer: [
        {
          mark: 'bar',
          encoding: {
            x: { field: 'contender', type: 'nominal', sort: names, title: null, axis: { labelAngle: -30 } },
            y: { field: 'bytes', type: 'quantitative', title: 'bytes per hit' },
            color: { field: 'contender', type: 'nominal', sort: names, scale: colour(names), legend: null },
          },
        },
        {
          mark: { type: 'text', dy: -6, fontSize: 10 },
          encoding: {
            x: { field: 'contender', type: 'nominal', sort: names },
            y: { field: 'bytes', type: 'quantitative' },
            text: { field: 'bytes', type: 'quantitative', format: '.3~s' },
          },
        },
      ],
    },
    resolve: { scale: { y: 'independent' } },
    config: FONT,
  }
}

/** Median hits/s against the link's rate, one line per contender, a panel per document size. */
function shapedLinkSpec(link: ShapedLinkResult): TopLevelSpec | undefined {
  if (link.skipped || !link.cells.length) return undefined
  const names = [...new Set(link.cells.map((c) => c.name))]
  const rates = link.ratesMbit.map(rateLabel)
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `L2 hits/s over a shaped link, ${link.concurrency} reads in flight per contender (median of rounds)`,
    data: {
      values: link.cells.map((c) => ({
        contender: c.name,
        size: `${c.sizeKiB} KiB JSON`,
        rate: rateLabel(c.rateMbit),
        hits: c.median.opsPerSec,
      })),
    },
    facet: { column: { field: 'size', type: 'nominal', title: null } },
    spec: {
      width: 260,
      height: 200,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'rate', type: 'ordinal', sort: rates, title: 'link rate', axis: { labelAngle: 0 } },
        y: { field: 'hits', type: 'quantitative', title: 'hits/s' },
        color: { field: 'contender', type: 'nominal', sort: names, scale: colour(names), title: null },
      },
    },
    resolve: { scale: { y: 'independent' } },
    config: { ...FONT, legend: { orient: 'bottom', columns: 5, labelLimit: 300 } },
  }
}

/** The SVG charts of docs/benchmarks.md, rendered by vega in Node (no browser). */
export async function makeCharts(results: BenchResults): Promise<Chart[]> {
  const charts: Chart[] = []
  const perProcess = results.scenarios.l2HitPerProcess
  if (perProcess?.length) {
    charts.push({
      file: 'l2-per-process-throughput.svg',
      title: 'L2 hit throughput, one process per contender',
      svg: await render(
        throughputSpec(
          perProcess,
          'L2 hit throughput, one process per contender (median of rounds; whiskers: min–max)',
        ),
      ),
    })
  }
  const link = results.scenarios.shapedLink
  const linkSpec = link && shapedLinkSpec(link)
  if (linkSpec)
    charts.push({ file: 'shaped-link.svg', title: 'Hits/s against link rate', svg: await render(linkSpec) })
  const l2 = results.scenarios.l2Hit
  if (l2?.length) {
    charts.push({
      file: 'l2-throughput.svg',
      title: 'L2 hit throughput',
      svg: await render(throughputSpec(l2)),
    })
    const c1 = l2.filter((c) => c.concurrency === 1)
    charts.push({
      file: 'l2-latency.svg',
      title: 'L2 hit latency distribution, concurrency 1',
      svg: await render(latencySpec(c1, 'L2 hit latency percentiles, concurrency 1 (all rounds)')),
    })
  }
  const l1 = results.scenarios.l1Hit
  if (l1?.length) {
    charts.push({
      file: 'l1-latency.svg',
      title: 'L1 hit latency distribution',
      svg: await render(latencySpec(l1, 'L1 hit latency percentiles (all rounds)')),
    })
  }
  const bytes = bytesSpec(results)
  if (bytes) charts.push({ file: 'bytes-per-hit.svg', title: 'Bytes per hit', svg: await render(bytes) })
  return charts
}
