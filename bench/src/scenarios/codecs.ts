import {
  AUTO_MIN_BYTES,
  autoCodec,
  Codec as CodecIds,
  type CodecName,
  codecAvailable,
  codecName,
  compress,
  decompress,
} from '../../../packages/core/src/compression'
import { makeDoc } from '../payload'
import type { Settings } from '../settings'
import { median, round } from '../stats'

/** Bytes of core's entry header beside the stored body (the ECPU estimate counts them too). */
export const ENTRY_HEADER_BYTES = 60

/** One codec at one document size, as core's own `compress`/`decompress` run it. */
export interface CodecCell {
  codec: CodecName
  /** Whether this Node.js has the codec (zstd needs Node ≥ 22.15). */
  available: boolean
  /** Body bytes as stored (the compressed body; the document itself for `none`). */
  storedBytes: number
  /** storedBytes / document bytes. */
  ratio: number
  /** ElastiCache Serverless ECPUs per hit, estimated as MAX(1, (storedBytes + header) / 1024). */
  ecpuPerHit: number
  /** Median over rounds of the mean time of one call, µs. */
  compressUs: number
  decompressUs: number
  /** Calls per round (the same in every round). */
  compressIterations: number
  decompressIterations: number
}

export interface CodecSizeResult {
  sizeKiB: number
  docBytes: number
  /** What `compression: { codec: 'auto', minBytes: AUTO_MIN_BYTES }` (the default) stores this document with. */
  autoPick: CodecName
  codecs: CodecCell[]
}

export interface CodecsResult {
  /** AUTO_MIN_BYTES of core: below it, the default stores bodies as they are. */
  autoMinBytes: number
  entryHeaderBytes: number
  sizes: CodecSizeResult[]
}

const CODECS: CodecName[] = ['none', 'deflate', 'gzip', 'zstd']

/** ElastiCache Serverless bills a simple read or write 1 ECPU per KB transferred, at least 1. */
export function ecpusFor(bytes: number): number {
  return round(Math.max(1, bytes / 1024))
}

/** The ECPU estimate of a hit on an entry whose body is `storedBytes` (core's header added). */
export function ecpuPerHit(storedBytes: number): number {
  return ecpusFor(storedBytes + ENTRY_HEADER_BYTES)
}

/** Mean µs of one `fn()` call over a loop of at least `minMs` and `minIterations` calls. */
function timeLoop(
  fn: () => unknown,
  minMs: number,
  minIterations: number,
): { us: number; iterations: number } {
  let iterations = 0
  const start = performance.now()
  let elapsed = 0
  while (iterations < minIterations || elapsed < minMs) {
    fn()
    iterations++
    elapsed = performance.now() - start
  }
  return { us: (elapsed * 1000) / iterations, iterations }
}

/** Which codec the default settings pick for a body of `bytes`, as core decides it. */
export function autoPickFor(bytes: number): CodecName {
  return bytes < AUTO_MIN_BYTES ? 'none' : (codecName(autoCodec(bytes)) ?? 'none')
}

/**
 * Scenario 9: core's codecs on the benchmark's JSON documents, in-process (no servers):
 * stored bytes, compress and decompress time (core's own `compress`/`decompress` with
 * `{ codec, minBytes: 0 }`), the estimated ECPUs per hit, and what the default `'auto'` picks.
 */
export async function runCodecs(settings: Settings, log: (line: string) => void): Promise<CodecsResult> {
  const sizes: CodecSizeResult[] = []
  for (const sizeKiB of settings.codecSizesKiB) {
    const doc = makeDoc(sizeKiB)
    const body = new Uint8Array(Buffer.from(doc.json, 'utf8'))
    const codecs: CodecCell[] = []
    for (const name of CODECS) {
      if (!codecAvailable(name)) {
        codecs.push({
          codec: name,
          available: false,
          storedBytes: Number.NaN,
          ratio: Number.NaN,
          ecpuPerHit: Number.NaN,
          compressUs: Number.NaN,
          decompressUs: Number.NaN,
          compressIterations: 0,
          decompressIterations: 0,
        })
        continue
      }
      const compression = { codec: CodecIds[name], minBytes: 0 }
      const stored = compress(body, compression)
      const back = decompress(stored.codec, stored.data, body.byteLength)
      if (!Buffer.from(back).equals(Buffer.from(body)))
        throw new Error(`${name} did not round-trip ${sizeKiB} KiB`)
      const compressTimes: number[] = []
      const decompressTimes: number[] = []
      let compressIterations = 0
      let decompressIterations = 0
      for (let r = 0; r < settings.rounds; r++) {
        // Later rounds run as many calls as the first, so every round does the same work.
        const c = timeLoop(
          () => compress(body, compression),
          r === 0 ? settings.codecMinMs : 0,
          r === 0 ? settings.codecMinIterations : compressIterations,
        )
        if (r === 0) compressIterations = c.iterations
        compressTimes.push(c.us)
        const d = timeLoop(
          () => decompress(stored.codec, stored.data, body.byteLength),
          r === 0 ? settings.codecMinMs : 0,
          r === 0 ? settings.codecMinIterations : decompressIterations,
        )
        if (r === 0) decompressIterations = d.iterations
        decompressTimes.push(d.us)
      }
      const storedBytes = stored.data.byteLength
      codecs.push({
        codec: name,
        available: true,
        storedBytes,
        ratio: round(storedBytes / body.byteLength),
        ecpuPerHit: ecpuPerHit(storedBytes),
        compressUs: round(median(compressTimes)),
        decompressUs: round(median(decompressTimes)),
        compressIterations,
        decompressIterations,
      })
    }
    const result: CodecSizeResult = { sizeKiB, docBytes: doc.bytes, autoPick: autoPickFor(doc.bytes), codecs }
    sizes.push(result)
    log(
      `  ${String(sizeKiB).padStart(4)} KiB (auto: ${result.autoPick.padEnd(7)}) ${codecs
        .map((c) =>
          c.available
            ? `${c.codec} ${c.storedBytes} B ${c.ecpuPerHit} ECPU ${c.compressUs}/${c.decompressUs} µs`
            : `${c.codec} n/a`,
        )
        .join(' | ')}`,
    )
  }
  return { autoMinBytes: AUTO_MIN_BYTES, entryHeaderBytes: ENTRY_HEADER_BYTES, sizes }
}
