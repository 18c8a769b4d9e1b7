import { crc32 } from 'node:zlib'
import { type Codec, type CompressionSettings, compress, decompress } from './compression'

/**
 * The stored binary format, version 2. One Valkey string per cached object:
 *
 * | offset | size | field                                                      |
 * | ------ | ---- | ---------------------------------------------------------- |
 * | 0      | 2    | magic `VS`                                                 |
 * | 2      | 1    | format version (2)                                         |
 * | 3      | 1    | flags: bits 0–1 kind, bits 2–3 codec                       |
 * | 4      | 8    | fresh-until, ms since epoch (f64)                          |
 * | 12     | 8    | stale-until, ms since epoch (f64)                          |
 * | 20     | 4    | CRC-32 of bytes 0–3 and 24–end                             |
 * | 24     | 8    | last modified, ms since epoch (f64, NaN when unknown)      |
 * | 32     | 4    | body length before compression                             |
 * | 36     | 2    | etag length                                                |
 * | 38     | 2    | content-type length                                        |
 * | 40     | 4    | metadata (JSON) length                                     |
 * | 44     | 4    | CRC-32 of the Valkey key the entry was written under       |
 * | 48     | …    | etag, content type, metadata, body (possibly compressed)   |
 *
 * The two times sit at a fixed offset outside the checksum, so a revalidation that S3
 * answers with 304 rewrites 16 bytes (SETRANGE) instead of moving the body again. The key's CRC
 * proves a reply is the entry asked for: a client that hands a command another command's reply (GLIDE
 * after a reconnect, see `store/glide.ts`) would otherwise answer one key with another's object.
 * Version 1 (0.1.0) is version 2 without the key's CRC (44-byte header); it is still read.
 */
export const FORMAT_VERSION = 2
export const TIMES_OFFSET = 4
/** Where the CRC-32 sits: a 304 refresh names the entry it revalidated by it. */
export const CHECKSUM_OFFSET = 20
const KEY_CHECK_OFFSET = 44
const HEADER_BYTES = 48
const V1_HEADER_BYTES = 44
const MAGIC_0 = 0x56
const MAGIC_1 = 0x53

/** What an entry holds: an S3 object, a cached NoSuchKey, or a `wrap` value (JSON or bytes). */
export const EntryKind = { object: 0, missing: 1, json: 2, bytes: 3 } as const
export type EntryKind = (typeof EntryKind)[keyof typeof EntryKind]

export interface EntryData {
  kind: EntryKind
  body: Uint8Array
  etag?: string | undefined
  contentType?: string | undefined
  /** ms since epoch */
  lastModified?: number | undefined
  metadata?: Record<string, string> | undefined
  /** ms since epoch: until then the entry is fresh. */
  freshUntil: number
  /** ms since epoch: until then the entry may be served stale (≥ freshUntil). */
  staleUntil: number
}

export interface Entry extends EntryData {
  metadata: Record<string, string>
  /** Bytes the entry takes in the store (header + stored body). */
  storedBytes: number
  codec: Codec
  /**
   * The CRC-32 stored at bytes 20–23, on an entry decoded from stored bytes (absent on one built in
   * memory). A 304 refresh names the entry it revalidated by it, so it never rewrites another entry.
   */
  checksum?: number | undefined
}

/** Thrown by {@link decodeEntry} for truncated, corrupt, foreign or other-version values. */
export class CorruptEntryError extends Error {
  override name = 'CorruptEntryError'
}

/**
 * Thrown by {@link decodeEntry} for an intact entry written under another key: not corruption, but a
 * reply meant for another command (the connection's replies are out of step).
 */
export class OtherKeyEntryError extends Error {
  override name = 'OtherKeyEntryError'
}

const encoder = new TextEncoder()

/**
 * A header string, `undefined` when empty. `toString` rather than a TextDecoder: for a few bytes it is
 * several times cheaper, and the checksum has already vouched for them (this version wrote them).
 */
function headerText(buf: Buffer, start: number, end: number): string | undefined {
  return end > start ? buf.toString('utf8', start, end) : undefined
}

/** Encodes `entry` for storing under the Valkey key `valkeyKey`. */
export function encodeEntry(
  entry: EntryData,
  compression: CompressionSettings | false,
  valkeyKey: string,
): { value: Buffer; codec: Codec } {
  const etag = encoder.encode(entry.etag ?? '')
  const contentType = encoder.encode(entry.contentType ?? '')
  const metadata =
    entry.metadata && Object.keys(entry.metadata).length > 0
      ? encoder.encode(JSON.stringify(entry.metadata))
      : new Uint8Array(0)
  const { codec, data } = compress(entry.body, compression)
  const out = Buffer.allocUnsafe(
    HEADER_BYTES + etag.length + contentType.length + metadata.length + data.byteLength,
  )
  out[0] = MAGIC_0
  out[1] = MAGIC_1
  out[2] = FORMAT_VERSION
  out[3] = entry.kind | (codec << 2)
  writeTimes(out, entry.freshUntil, entry.staleUntil)
  out.writeDoubleBE(entry.lastModified ?? Number.NaN, 24)
  out.writeUInt32BE(entry.body.byteLength, 32)
  out.writeUInt16BE(etag.length, 36)
  out.writeUInt16BE(contentType.length, 38)
  out.writeUInt32BE(metadata.length, 40)
  out.writeUInt32BE(crc32(valkeyKey), KEY_CHECK_OFFSET)
  let offset = HEADER_BYTES
  for (const part of [etag, contentType, metadata, data]) {
    out.set(part, offset)
    offset += part.byteLength
  }
  out.writeUInt32BE(checksum(out), CHECKSUM_OFFSET)
  return { value: out, codec }
}

/** The 16 bytes that {@link TIMES_OFFSET} holds, for an in-place refresh. */
export function encodeTimes(freshUntil: number, staleUntil: number): Buffer {
  const out = Buffer.allocUnsafe(16)
  out.writeDoubleBE(freshUntil, 0)
  out.writeDoubleBE(staleUntil, 8)
  return out
}

function writeTimes(out: Buffer, freshUntil: number, staleUntil: number): void {
  out.writeDoubleBE(freshUntil, TIMES_OFFSET)
  out.writeDoubleBE(staleUntil, TIMES_OFFSET + 8)
}

function checksum(buf: Buffer): number {
  return crc32(buf.subarray(24), crc32(buf.subarray(0, 4)))
}

/**
 * Parses and verifies a value read from the Valkey key `valkeyKey`; throws {@link CorruptEntryError} when
 * it is not a valid entry (version 2, or 0.1.0's version 1), and {@link OtherKeyEntryError} when it is
 * another key's.
 */
export function decodeEntry(buf: Buffer, valkeyKey: string): Entry {
  if (buf.length < V1_HEADER_BYTES || buf[0] !== MAGIC_0 || buf[1] !== MAGIC_1)
    throw new CorruptEntryError('not an entry')
  const version = buf[2]
  if (version !== FORMAT_VERSION && version !== 1)
    throw new CorruptEntryError(`entry format ${version} is not ${FORMAT_VERSION}`)
  const headerBytes = version === 1 ? V1_HEADER_BYTES : HEADER_BYTES
  if (buf.length < headerBytes) throw new CorruptEntryError('truncated')
  const stored = buf.readUInt32BE(CHECKSUM_OFFSET)
  if (stored !== checksum(buf)) throw new CorruptEntryError('checksum mismatch')
  if (version !== 1 && buf.readUInt32BE(KEY_CHECK_OFFSET) !== crc32(valkeyKey))
    throw new OtherKeyEntryError(`the value read from ${valkeyKey} is the entry of another key`)
  const flags = buf[3] as number
  const kind = (flags & 0b11) as EntryKind
  const codec = ((flags >> 2) & 0b11) as Codec
  const freshUntil = buf.readDoubleBE(TIMES_OFFSET)
  const staleUntil = buf.readDoubleBE(TIMES_OFFSET + 8)
  if (!Number.isFinite(freshUntil) || !(staleUntil >= freshUntil)) throw new CorruptEntryError('bad times')
  const lastModified = buf.readDoubleBE(24)
  const rawLength = buf.readUInt32BE(32)
  const etagEnd = headerBytes + buf.readUInt16BE(36)
  const contentTypeEnd = etagEnd + buf.readUInt16BE(38)
  const metadataEnd = contentTypeEnd + buf.readUInt32BE(40)
  if (metadataEnd > buf.length) throw new CorruptEntryError('truncated')
  try {
    const body = decompress(codec, buf.subarray(metadataEnd), rawLength)
    if (body.byteLength !== rawLength) throw new CorruptEntryError('body length mismatch')
    const metadataText = headerText(buf, contentTypeEnd, metadataEnd)
    return {
      kind,
      codec,
      body,
      etag: headerText(buf, headerBytes, etagEnd),
      contentType: headerText(buf, etagEnd, contentTypeEnd),
      lastModified: Number.isNaN(lastModified) ? undefined : lastModified,
      metadata: metadataText === undefined ? {} : JSON.parse(metadataText),
      freshUntil,
      staleUntil,
      storedBytes: buf.length,
      checksum: stored,
    }
  } catch (error) {
    if (error instanceof CorruptEntryError) throw error
    throw new CorruptEntryError(`unreadable entry: ${(error as Error).message}`)
  }
}
