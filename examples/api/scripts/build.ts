// npm run build --workspace examples/api: the bundles the Dockerfile copies, and their sizes.
import { readFileSync } from 'node:fs'
import { relative } from 'node:path'
import { gzipSync } from 'node:zlib'
import { buildBundle } from './bundle'

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`

const started = performance.now()
const bundle = await buildBundle()
const elapsed = Math.round(performance.now() - started)
for (const { file, bytes } of Object.values(bundle.entries)) {
  const gzipped = gzipSync(readFileSync(file)).byteLength
  console.log(`${relative(process.cwd(), file)}  ${kib(bytes)} (gzip ${kib(gzipped)})`)
}
console.log(`built in ${elapsed} ms`)
