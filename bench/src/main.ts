import { parseArgs } from 'node:util'
import { measureCoreDist } from './core-dist'
import type { Mode } from './settings'

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    dry: { type: 'boolean', default: false },
    out: { type: 'string' },
    only: { type: 'string' },
    report: { type: 'string' },
  },
})

const mode: Mode = values.dry ? 'dry' : values.quick ? 'quick' : 'full'
const log = (line: string) => process.stderr.write(`${line}\n`)
// Before anything imports core: the contenders (here and in child processes) run what users install.
if (!values.report) measureCoreDist(mode, log)
const { runBench } = await import('./harness')
const { files } = await runBench({
  mode,
  outDir: values.out,
  only: values.only?.split(','),
  reportFrom: values.report,
  log,
})
for (const file of files) process.stdout.write(`${file}\n`)
