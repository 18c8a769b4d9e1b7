import type { BenchResults } from '../results'
import type { CodecCell, CodecSizeResult } from '../scenarios/codecs'
import { bytes, num, table, us } from './format'

const available = (size: CodecSizeResult) => size.codecs.filter((c) => c.available)
const of = (size: CodecSizeResult, name: string) => size.codecs.find((c) => c.codec === name && c.available)
const ecpu = (value: number) =>
  Number.isFinite(value) ? value.toFixed(value >= 100 ? 0 : value >= 10 ? 1 : 2) : '–'

function lowest(cells: CodecCell[], pick: (c: CodecCell) => number): CodecCell | undefined {
  return cells.reduce<CodecCell | undefined>(
    (best, c) => (best === undefined || pick(c) < pick(best) ? c : best),
    undefined,
  )
}

/** One generated sentence per size: what the default stores, what it saves, what it costs per hit. */
function tradeOff(size: CodecSizeResult): string {
  const none = of(size, 'none')
  const picked = of(size, size.autoPick)
  const compressed = available(size).filter((c) => c.codec !== 'none')
  const fewest = lowest(compressed, (c) => c.storedBytes)
  const fastest = lowest(compressed, (c) => c.decompressUs)
  if (!none || !picked || !fewest || !fastest) return `${size.sizeKiB} KiB: not measured`
  const head = `**${size.sizeKiB} KiB** (default: ${size.autoPick})`
  if (picked.codec === 'none') {
    const saved = none.ecpuPerHit - fewest.ecpuPerHit
    return `${head}: ${ecpu(none.ecpuPerHit)} ECPUs per hit as it is; the smallest codec (${fewest.codec}, ${bytes(fewest.storedBytes)}) would save ${ecpu(saved)} ECPU per hit (${Math.round((saved / none.ecpuPerHit) * 100)} %) and cost ${us(fewest.decompressUs)} of decompression on every hit (fastest to decompress: ${fastest.codec}, ${us(fastest.decompressUs)}).`
  }
  const saved = none.ecpuPerHit - picked.ecpuPerHit
  const others = compressed
    .filter((c) => c.codec !== picked.codec)
    .map(
      (c) =>
        `${c.codec} ${ecpu(c.ecpuPerHit)} ECPUs / ${us(c.decompressUs)} / ${us(c.compressUs)} to compress`,
    )
  return `${head}: ${bytes(picked.storedBytes)} stored instead of ${bytes(none.storedBytes)}, ${ecpu(picked.ecpuPerHit)} ECPUs per hit instead of ${ecpu(none.ecpuPerHit)} (−${Math.round((saved / none.ecpuPerHit) * 100)} %), for ${us(picked.decompressUs)} of decompression per hit and ${us(picked.compressUs)} of compression per load. Others: ${others.join('; ')}.${fewest.codec !== picked.codec ? ` Fewest bytes: ${fewest.codec} (${Math.round((picked.storedBytes / fewest.storedBytes - 1) * 100)} % fewer than ${picked.codec}).` : ''}`
}

/** Section 9: core's codecs on the benchmark's JSON, and what the default picks. */
export function codecsSection(results: BenchResults): string {
  const codecs = results.scenarios.codecs
  if (!codecs?.sizes.length) return ''
  const { settings } = results
  const parts = [
    '## 9. Compression codecs',
    `core’s own \`compress\` and \`decompress\` (\`packages/core/src/compression.ts\`, settings \`{ codec, minBytes: 0 }\`), in-process, on the benchmark’s JSON documents: \`none\`, \`deflate\` (raw deflate, level 6), \`gzip\` (level 6) and \`zstd\` (level 3). Times are the median over ${settings.rounds} rounds of the mean time of one call (each round a loop of at least ${settings.codecMinMs ?? '–'} ms and ${settings.codecMinIterations ?? '–'} calls). Compression is paid once per load from S3, decompression on every hit.`,
    `**ECPUs per hit are an estimate, not a measurement**: ElastiCache Serverless bills a read about 1 ECPU per kilobyte transferred, at least 1, so the tables show MAX(1, (stored bytes + ${codecs.entryHeaderBytes} B of entry header) / 1024). The key and RESP framing are left out. “default” marks the codec core’s default \`compression: { codec: 'auto', minBytes: ${codecs.autoMinBytes} }\` stores the document with: as it is below ${num(codecs.autoMinBytes)} B, raw deflate below 64 KiB, zstd from 64 KiB.`,
    'The trade-off, from this run’s numbers: stored bytes decide the Valkey memory and, per hit, the ECPUs; decompression is CPU time every hit pays in the reading process.',
    codecs.sizes.map((size) => `- ${tradeOff(size)}`).join('\n'),
  ]
  for (const size of codecs.sizes) {
    const rows = size.codecs.map((c) => [
      c.codec === size.autoPick ? `**${c.codec}** (default)` : c.codec,
      c.available ? num(c.storedBytes) : 'not available',
      c.available ? `${Math.round(c.ratio * 1000) / 10} %` : '–',
      ecpu(c.ecpuPerHit),
      c.available ? us(c.compressUs) : '–',
      c.available ? us(c.decompressUs) : '–',
    ])
    parts.push(
      `### ${size.sizeKiB} KiB JSON (${num(size.docBytes)} B)`,
      table(
        ['codec', 'stored bytes', 'stored / document', 'ECPUs per hit (est.)', 'compress', 'decompress'],
        rows,
        ['l', 'r', 'r', 'r', 'r', 'r'],
      ),
    )
  }
  return parts.join('\n\n')
}
