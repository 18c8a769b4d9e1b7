import { readFileSync } from 'node:fs'
import { describe, expect, it, vi } from 'vitest'
import { AUTO_MIN_BYTES, Codec, defaultCompression, ZSTD_FROM_BYTES } from '../src/compression'
import {
  CorruptEntryError,
  decodeEntry,
  EntryKind,
  encodeEntry,
  encodeTimes,
  OtherKeyEntryError,
  TIMES_OFFSET,
} from '../src/entry'

/** The Valkey key the sample entries are written under. */
const KEY = 'vs3c:{abc}'

const sample = {
  kind: EntryKind.object,
  body: new TextEncoder().encode(JSON.stringify({ text: 'é'.repeat(2000) })),
  etag: '"abc"',
  contentType: 'application/json',
  lastModified: 1_700_000_000_000,
  metadata: { team: 'cache' },
  freshUntil: 1_800_000_000_000,
  staleUntil: 1_800_000_060_000,
}

describe('stored entry format', () => {
  it('round-trips every field, compressing the body', () => {
    const { value, codec } = encodeEntry(sample, { codec: Codec.gzip, minBytes: 1024 }, KEY)
    expect(codec).toBe(Codec.gzip)
    expect(value.length).toBeLessThan(sample.body.length)
    const decoded = decodeEntry(value, KEY)
    expect(decoded).toMatchObject({ ...sample, body: expect.anything(), storedBytes: value.length })
    expect(Buffer.from(decoded.body).equals(Buffer.from(sample.body))).toBe(true)
  })

  it('keeps small bodies and bodies that do not shrink uncompressed', () => {
    expect(
      encodeEntry({ ...sample, body: new Uint8Array(10) }, { codec: Codec.gzip, minBytes: 1024 }, KEY).codec,
    ).toBe(Codec.none)
    const random = crypto.getRandomValues(new Uint8Array(4096))
    expect(encodeEntry({ ...sample, body: random }, { codec: Codec.gzip, minBytes: 1024 }, KEY).codec).toBe(
      Codec.none,
    )
  })

  it('lets the times be rewritten in place without breaking the checksum', () => {
    const { value } = encodeEntry(sample, false, KEY)
    encodeTimes(1, 2).copy(value, TIMES_OFFSET)
    expect(decodeEntry(value, KEY)).toMatchObject({ freshUntil: 1, staleUntil: 2 })
  })

  it('rejects foreign, truncated, flipped and other-version values', () => {
    const { value } = encodeEntry(sample, false, KEY)
    const flipped = Buffer.from(value)
    flipped[flipped.length - 1] = (flipped[flipped.length - 1] as number) ^ 1
    const otherVersion = Buffer.from(value)
    otherVersion[2] = 9
    for (const bad of [
      Buffer.from('{"json":true}'),
      value.subarray(0, 50),
      flipped,
      otherVersion,
      Buffer.alloc(0),
    ]) {
      expect(() => decodeEntry(bad, KEY)).toThrow(CorruptEntryError)
    }
  })

  it('tells an intact entry of another key from a corrupt one (a reply meant for another command)', () => {
    const { value } = encodeEntry(sample, false, KEY)
    const thrown = (() => {
      try {
        decodeEntry(value, 'vs3c:{abd}')
      } catch (error) {
        return error
      }
    })()
    expect(thrown).toBeInstanceOf(OtherKeyEntryError)
    expect(thrown).not.toBeInstanceOf(CorruptEntryError)
    // The key's CRC sits inside the checksum: a value with it altered is corrupt, not another key's.
    const altered = Buffer.from(value)
    altered[47] = (altered[47] as number) ^ 1
    expect(() => decodeEntry(altered, KEY)).toThrow(CorruptEntryError)
  })
})

/** A JSON body of about `bytes` bytes that compresses as such data does. */
function jsonOf(bytes: number): Uint8Array {
  const rows = Array.from({ length: Math.ceil(bytes / 10) }, (_, i) => ({ i, name: `row ${i}` }))
  return new TextEncoder().encode(JSON.stringify(rows).slice(0, bytes))
}

describe('default compression: the codec chosen by size', () => {
  it.each([
    ['1 KiB', 1024, 'none'],
    ['just under 2 KiB', AUTO_MIN_BYTES - 1, 'none'],
    ['2 KiB', AUTO_MIN_BYTES, 'deflate'],
    ['10 KiB', 10 * 1024, 'deflate'],
    ['just under 64 KiB', ZSTD_FROM_BYTES - 1, 'deflate'],
    ['64 KiB', ZSTD_FROM_BYTES, 'zstd'],
    ['1 MiB', 1024 * 1024, 'zstd'],
  ] as const)('%s → %s, and the entry reads back', (_, bytes, name) => {
    const expected = Codec[name]
    const body = jsonOf(bytes)
    expect(body.byteLength).toBe(bytes)
    const { value, codec } = encodeEntry({ ...sample, body }, defaultCompression, KEY)
    expect(codec).toBe(expected)
    if (expected !== Codec.none) expect(value.length).toBeLessThan(body.length / 2)
    expect(Buffer.from(decodeEntry(value, KEY).body).equals(Buffer.from(body))).toBe(true)
  })

  it.each(['deflate', 'gzip', 'zstd'] as const)(
    'a %s body is decompressed into one buffer of the size the header gives, allocated once',
    (name) => {
      const body = jsonOf(100 * 1024)
      const { value } = encodeEntry({ ...sample, body }, { codec: Codec[name], minBytes: 0 }, KEY)
      const allocUnsafe = vi.spyOn(Buffer, 'allocUnsafe')
      try {
        const decoded = decodeEntry(value, KEY)
        expect(decoded.body.byteLength).toBe(body.byteLength)
        // Each allocation is a body-sized chunk of zlib's: one is the output, any other is waste.
        expect(allocUnsafe.mock.calls.filter(([size]) => size >= body.byteLength)).toHaveLength(1)
      } finally {
        allocUnsafe.mockRestore()
      }
    },
  )

  it('reads entries written by 0.1.0 (format 1: its default zstd, and gzip), under any key', () => {
    const fixture = JSON.parse(
      readFileSync(new URL('./fixtures/entries-0.1.0.json', import.meta.url), 'utf8'),
    )
    const expectedBody = {
      release: '0.1.0',
      rows: Array.from({ length: 150 }, (_, i) => ({ i, name: `row ${i}` })),
    }
    for (const [name, codec] of [
      ['zstd', Codec.zstd],
      ['gzip', Codec.gzip],
    ] as const) {
      const entry = decodeEntry(Buffer.from(fixture.entries[name], 'base64'), KEY)
      expect(entry).toMatchObject({
        codec,
        etag: '"0123456789abcdef0123456789abcdef"',
        contentType: 'application/json',
        metadata: { team: 'cache' },
      })
      expect(JSON.parse(new TextDecoder().decode(entry.body))).toEqual(expectedBody)
    }
  })
})
