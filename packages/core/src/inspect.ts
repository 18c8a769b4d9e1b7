import type { EntryInspection } from './cache-api'
import { codecName } from './compression'
import { CorruptEntryError, decodeEntry, EntryKind, OtherKeyEntryError } from './entry'

/** Describes a stored value (or its absence) as of `now`. */
export function describeEntry(valkeyKey: string, raw: Buffer | null, now = Date.now()): EntryInspection {
  if (raw === null) return { present: false, valkeyKey }
  let entry: ReturnType<typeof decodeEntry>
  try {
    entry = decodeEntry(raw, valkeyKey)
  } catch (error) {
    if (!(error instanceof CorruptEntryError || error instanceof OtherKeyEntryError)) throw error
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
    // decodeEntry has refused unknown codecs.
    codec: codecName(entry.codec) ?? 'none',
  }
}
