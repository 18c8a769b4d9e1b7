// The soak's figures over time as one SVG: heap, Valkey keys and Valkey memory, each on its own row.
import * as vega from 'vega'
import { compile, type TopLevelSpec } from 'vega-lite'

interface Sample {
  seconds: number
  heapMiB: number
  keys: number
  valkeyMiB: number
}

export async function plotSoak(samples: readonly Sample[]): Promise<string> {
  const rows = samples.flatMap((s) => [
    { seconds: s.seconds, figure: 'heap after GC (MiB)', value: s.heapMiB },
    { seconds: s.seconds, figure: 'Valkey keys', value: s.keys },
    { seconds: s.seconds, figure: 'Valkey used memory (MiB)', value: s.valkeyMiB },
  ])
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    data: { values: rows },
    facet: { row: { field: 'figure', type: 'nominal', title: null } },
    spec: {
      width: 640,
      height: 140,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'seconds', type: 'quantitative', title: 'seconds' },
        y: { field: 'value', type: 'quantitative', title: null, scale: { zero: true } },
      },
    },
    resolve: { scale: { y: 'independent' } },
    config: { font: 'Helvetica, Arial, sans-serif' },
  }
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' })
  const svg = await view.toSVG()
  view.finalize()
  return svg
}
