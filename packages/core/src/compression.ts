import * as zlib from 'node:zlib'

/** How a stored body is encoded. The numbers are part of the stored entry format. */
export const Codec = { none: 0, gzip: 1, zstd: 2 } as const
export type Codec = (typeof Codec)[keyof typeof Codec]

/** zstd ships in node:zlib from Node 22.15 / 23.8; older runtimes fall back to gzip. */
const hasZstd = typeof zlib.zstdCompressSync === 'function'

export interface CompressionSettings {
  codec: Codec
  /** Bodies smaller than this are stored as they are. */
  minBytes: number
}

export const defaultCompression: CompressionSettings = {
  codec: hasZstd ? Codec.zstd : Codec.gzip,
  minBytes: 1024,
}

export function zstdAvailable(): boolean {
  return hasZstd
}

/**
 * Compresses `body` when it is large enough and compression actually saves bytes.
 * Synchronous on purpose: for the bodies this cache stores (≤ 1 MiB by default) one
 * sync call is cheaper than a hop through the thread pool.
 */
export function compress(
  body: Uint8Array,
  settings: CompressionSettings | false,
): { codec: Codec; data: Uint8Array } {
  if (!settings || settings.codec === Codec.none || body.byteLength < settings.minBytes) {
    return { codec: Codec.none, data: body }
  }
  const data =
    settings.codec === Codec.zstd
      ? zlib.zstdCompressSync(body, { params: { [zlib.constants.ZSTD_c_compressionLevel]: 3 } })
      : zlib.gzipSync(body, { level: 6 })
  return data.byteLength < body.byteLength
    ? { codec: settings.codec, data }
    : { codec: Codec.none, data: body }
}

export function decompress(codec: Codec, data: Uint8Array, rawLength: number): Uint8Array {
  if (codec === Codec.none) return data
  // The body's size is known from the header: one output chunk of exactly that size spares the
  // default 16–128 KiB buffers per call, a large share of a small hit's cost.
  const sized = { maxOutputLength: rawLength, chunkSize: Math.max(64, rawLength) }
  if (codec === Codec.zstd) {
    if (!hasZstd) throw new Error('entry is zstd-compressed but this Node.js has no zstd')
    return zlib.zstdDecompressSync(data, sized)
  }
  if (codec === Codec.gzip) return zlib.gunzipSync(data, sized)
  throw new Error(`unknown codec ${codec}`)
}
