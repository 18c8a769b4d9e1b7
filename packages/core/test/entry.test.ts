import { describe, expect, it } from 'vitest'
import { Codec } from '../src/compression'
import {
  CorruptEntryError,
  decodeEntry,
  EntryKind,
  encodeEntry,
  encodeTimes,
  TIMES_OFFSET,
} from '../src/entry'

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
    const { value, codec } = encodeEntry(sample, { codec: Codec.gzip, minBytes: 1024 })
    expect(codec).toBe(Codec.gzip)
    expect(value.length).toBeLessThan(sample.body.length)
    const decoded = decodeEntry(value)
    expect(decoded).toMatchObject({ ...sample, body: expect.anything(), storedBytes: value.length })
    expect(Buffer.from(decoded.body).equals(Buffer.from(sample.body))).toBe(true)
  })

  it('keeps small bodies and bodies that do not shrink uncompressed', () => {
    expect(
      encodeEntry({ ...sample, body: new Uint8Array(10) }, { codec: Codec.gzip, minBytes: 1024 }).codec,
    ).toBe(Codec.none)
    const random = crypto.getRandomValues(new Uint8Array(4096))
    expect(encodeEntry({ ...sample, body: random }, { codec: Codec.gzip, minBytes: 1024 }).codec).toBe(
      Codec.none,
    )
  })

  it('lets the times be rewritten in place without breaking the checksum', () => {
    const { value } = encodeEntry(sample, false)
    encodeTimes(1, 2).copy(value, TIMES_OFFSET)
    expect(decodeEntry(value)).toMatchObject({ freshUntil: 1, staleUntil: 2 })
  })

  it('rejects foreign, truncated, flipped and other-version values', () => {
    const { value } = encodeEntry(sample, false)
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
      expect(() => decodeEntry(bad)).toThrow(CorruptEntryError)
    }
  })
})
