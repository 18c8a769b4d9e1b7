import { parseArgs } from 'node:util'
import { runBench } from './harness'
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
const { files } = await runBench({
  mode,
  outDir: values.out,
  only: values.only?.split(','),
  reportFrom: values.report,
  log: (line) => process.stderr.write(`${line}\n`),
})
for (const file of files) process.stdout.write(`${file}\n`)
