// npm run build --workspace examples/api: the bundle the Dockerfile copies, and its size.
import { readFileSync } from 'node:fs'
import { relative } from 'node:path'
import { gzipSync } from 'node:zlib'
import { buildBundle } from './bundle'

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`

const started = performance.now()
const bundle = await buildBundle()
const gzipped = gzipSync(readFileSync(bundle.file)).byteLength
console.log(
  `${relative(process.cwd(), bundle.file)}  ${kib(bundle.bytes)} (gzip ${kib(gzipped)})  built in ${Math.round(performance.now() - started)} ms`,
)
