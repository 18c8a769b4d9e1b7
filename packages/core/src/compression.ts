import * as zlib from 'node:zlib'
import { type Decompress, reusedEngine } from './reused-engine'

/** zstd ships in node:zlib from Node 22.15 / 23.8; older runtimes use raw deflate for every size. */
const hasZstd = typeof zlib.zstdCompressSync === 'function'

/**
 * Node's one-shot call, for what a reused engine leaves to it. The output size is known from the entry
 * header, so the output is one chunk allocated once: a byte larger than the body, because zlib
 * allocates a further chunk (and calls its codec once more) whenever the output fills the current one.
 */
function sized(rawLength: number): { maxOutputLength: number; chunkSize: number } {
  return { maxOutputLength: rawLength, chunkSize: Math.max(64, rawLength + 1) }
}

interface CodecSpec {
  /** Stored in the entry header (2 bits): part of the stored format, never renumbered. */
  readonly id: number
  readonly available: boolean
  readonly compress: (body: Uint8Array) => Uint8Array
  readonly decompress: Decompress
}

/**
 * Every codec the entry format knows, by name: the options type, the option check, the entry
 * header and `inspect` all derive from this one table.
 */
const CODECS = {
  none: { id: 0, available: true, compress: (body) => body, decompress: (data) => data },
  gzip: {
    id: 1,
    available: true,
    compress: (body) => zlib.gzipSync(body, { level: 6 }),
    decompress: reusedEngine(
      () => new zlib.Gunzip(),
      (data, rawLength) => zlib.gunzipSync(data, sized(rawLength)),
    ),
  },
  zstd: {
    id: 2,
    available: hasZstd,
    compress: (body) =>
      zlib.zstdCompressSync(body, { params: { [zlib.constants.ZSTD_c_compressionLevel]: 3 } }),
    decompress: reusedEngine(
      () => new zlib.ZstdDecompress(),
      (data, rawLength) => zlib.zstdDecompressSync(data, sized(rawLength)),
    ),
  },
  // Raw deflate: gzip's stream without its header and second CRC (the entry has its own checksum).
  deflate: {
    id: 3,
    available: true,
    compress: (body) => zlib.deflateRawSync(body, { level: 6 }),
    decompress: reusedEngine(
      () => new zlib.InflateRaw(),
      (data, rawLength) => zlib.inflateRawSync(data, sized(rawLength)),
    ),
  },
} as const satisfies Record<string, CodecSpec>

/** A codec's name, as options and `inspect` spell it. */
export type CodecName = keyof typeof CODECS
/** The codecs the `compression.codec` option accepts. */
export type CompressionCodecName = Exclude<CodecName, 'none'>
/** A codec's number in the stored entry. */
export type Codec = (typeof CODECS)[CodecName]['id']

export const CODEC_NAMES = Object.keys(CODECS) as CodecName[]

/** Codec numbers by name (`Codec.zstd`). */
export const Codec = Object.fromEntries(CODEC_NAMES.map((name) => [name, CODECS[name].id])) as {
  readonly [N in CodecName]: (typeof CODECS)[N]['id']
}

const BY_ID = new Map<number, CodecName>(CODEC_NAMES.map((name) => [CODECS[name].id, name]))

/** The name of a stored codec number, or `undefined` for one this version does not know. */
export function codecName(id: number): CodecName | undefined {
  return BY_ID.get(id)
}

/** Whether this Node.js can use the codec. */
export function codecAvailable(name: CodecName): boolean {
  return CODECS[name].available
}

export interface CompressionSettings {
  /** A codec, or `'auto'`: chosen by size (see {@link autoCodec}). */
  codec: Codec | 'auto'
  /** Bodies smaller than this are stored as they are. */
  minBytes: number
}

/**
 * From this size on, `'auto'` picks zstd. Measured on JSON (docs/benchmarks.md, codecs): below it raw
 * deflate stores a few % smaller and decompresses as fast (10 KiB: 11.5 µs, zstd 12.9 µs, each on its
 * reused engine); from 64 KiB zstd compresses 5–10× faster, which a load pays once per entry.
 */
export const ZSTD_FROM_BYTES = 64 * 1024

/**
 * Below this, `'auto'` stores bodies as they are: such an entry moves in about two ECPUs' worth of
 * bytes either way (ElastiCache Serverless bills MAX(1, KB) per GET), so compressing it saves at
 * most one ECPU per hit while costing every hit a decompression.
 */
export const AUTO_MIN_BYTES = 2048

export const defaultCompression: CompressionSettings = { codec: 'auto', minBytes: AUTO_MIN_BYTES }

/** The codec `'auto'` stores a body of `bytes` with. */
export function autoCodec(bytes: number): Codec {
  return hasZstd && bytes >= ZSTD_FROM_BYTES ? Codec.zstd : Codec.deflate
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
  const codec = settings.codec === 'auto' ? autoCodec(body.byteLength) : settings.codec
  const data = CODECS[codecName(codec) as CodecName].compress(body)
  return data.byteLength < body.byteLength ? { codec, data } : { codec: Codec.none, data: body }
}

export function decompress(codec: Codec, data: Uint8Array, rawLength: number): Uint8Array {
  if (codec === Codec.none) return data
  const name = codecName(codec)
  if (name === undefined) throw new Error(`unknown codec ${codec}`)
  if (!CODECS[name].available) throw new Error(`entry is ${name}-compressed but this Node.js has no ${name}`)
  return CODECS[name].decompress(data, rawLength)
}
