import { Codec } from './compression'
import { CorruptEntryError, decodeEntry, EntryKind } from './entry'

/** What `cache.inspect` found in Valkey for one object, read with one GET and without loading anything. */
export type EntryInspection =
  | { present: false; valkeyKey: string }
  | {
      present: true
      valkeyKey: string
      /** `object`: a cached S3 object; `missing`: a cached NoSuchKey (negative entry). */
      kind: 'object' | 'missing'
      /** `fresh` until `freshUntil`, then `stale` (served while revalidating) until `staleUntil`, then `expired`. */
      state: 'fresh' | 'stale' | 'expired'
      etag: string | undefined
      contentType: string | undefined
      lastModified: Date | undefined
      freshUntil: Date
      staleUntil: Date
      /** Bytes the entry takes in Valkey: header plus stored (possibly compressed) body. */
      storedBytes: number
      /** Body bytes before compression. */
      bodyBytes: number
      codec: 'none' | 'gzip' | 'zstd'
    }
  /** A value the cache cannot read (foreign, truncated, other format version): the next read replaces it. */
  | { present: true; valkeyKey: string; kind: 'corrupt'; reason: string; storedBytes: number }

const CODEC_NAMES = { [Codec.none]: 'none', [Codec.gzip]: 'gzip', [Codec.zstd]: 'zstd' } as const

/** Describes a stored value (or its absence) as of `now`. */
export function describeEntry(valkeyKey: string, raw: Buffer | null, now = Date.now()): EntryInspection {
  if (raw === null) return { present: false, valkeyKey }
  let entry: ReturnType<typeof decodeEntry>
  try {
    entry = decodeEntry(raw)
  } catch (error) {
    if (!(error instanceof CorruptEntryError)) throw error
    return { present: true, valkeyKey, kind: 'corrupt', reason: error.message, storedBytes: raw.length }
  }
  return {
    present: true,
    valkeyKey,
    kind: entry.kind === EntryKind.missing ? 'missing' : 'object',
    state: now < entry.freshUntil ? 'fresh' : now < entry.staleUntil ? 'stale' : 'expired',
    etag: entry.etag,
    contentType: entry.contentType,
    lastModified: entry.lastModified === undefined ? undefined : new Date(entry.lastModified),
    freshUntil: new Date(entry.freshUntil),
    staleUntil: new Date(entry.staleUntil),
    storedBytes: entry.storedBytes,
    bodyBytes: entry.body.byteLength,
    codec: CODEC_NAMES[entry.codec] ?? 'none',
  }
}
