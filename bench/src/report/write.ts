import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { BenchResults } from '../results'
import { makeCharts } from './charts'
import { renderMarkdown } from './markdown'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

/** Writes `benchmarks.md` and its charts under `benchmarks/` into `docsDir`. */
export async function writeDocs(
  results: BenchResults,
  docsDir: string,
  resultsFile?: string,
): Promise<string[]> {
  const chartDir = join(docsDir, 'benchmarks')
  mkdirSync(chartDir, { recursive: true })
  const files: string[] = []
  for (const chart of await makeCharts(results)) {
    const file = join(chartDir, chart.file)
    writeFileSync(file, chart.svg)
    files.push(file)
  }
  const source = resultsFile ? relative(ROOT, resultsFile) : 'bench/results'
  const file = join(docsDir, 'benchmarks.md')
  writeFileSync(file, renderMarkdown(results, source))
  formatInRepository(file)
  return [file, ...files]
}

/** Lets biome lay out the tables as `npm run lint` expects, when the page is inside the repository. */
function formatInRepository(file: string): void {
  const biome = join(ROOT, 'node_modules/@biomejs/biome/bin/biome')
  if (relative(ROOT, file).startsWith('..') || !existsSync(biome)) return
  spawnSync(process.execPath, [biome, 'format', '--write', file], { cwd: ROOT, stdio: 'ignore' })
}
