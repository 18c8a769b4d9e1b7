import { createHook } from 'node:async_hooks'
import * as zlib from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { Codec } from '../src/compression'
import { CorruptEntryError, decodeEntry, encodeEntry } from '../src/entry'
import { reusedEngine } from '../src/reused-engine'

const KEY = 'vs3c:{abc}'

const body = new TextEncoder().encode(
  JSON.stringify(Array.from({ length: 400 }, (_, i) => ({ id: i, name: `item ${i}` }))),
)
const sample = {
  kind: 0,
  etag: '"e"',
  freshUntil: Date.now() + 60_000,
  staleUntil: Date.now() + 120_000,
} as const

/** zlib handles (async resources of type ZLIB) created while `run` runs. */
function zlibHandlesDuring(run: () => void): number {
  let created = 0
  const hook = createHook({
    init(_id, type) {
      if (type === 'ZLIB') created++
    },
  }).enable()
  try {
    run()
  } finally {
    hook.disable()
  }
  return created
}

/** The entry with its checksum made valid again after its stored body was altered. */
function rechecked(value: Buffer): Buffer {
  value.writeUInt32BE(zlib.crc32(value.subarray(24), zlib.crc32(value.subarray(0, 4))), 20)
  return value
}

describe('decompression reuses one engine per codec', () => {
  it.each(['deflate', 'gzip', 'zstd'] as const)('100 %s bodies create at most one zlib handle', (name) => {
    const { value } = encodeEntry({ ...sample, body }, { codec: Codec[name], minBytes: 0 }, KEY)
    const handles = zlibHandlesDuring(() => {
      for (let i = 0; i < 100; i++) expect(Buffer.from(decodeEntry(value, KEY).body).equals(body)).toBe(true)
    })
    expect(handles).toBeLessThanOrEqual(1)
  })

  it('a corrupt stream is a CorruptEntryError, and the next entry decodes', () => {
    const { value } = encodeEntry({ ...sample, body }, { codec: Codec.deflate, minBytes: 0 }, KEY)
    const corrupt = Buffer.from(value)
    corrupt.fill(0xff, corrupt.length - 40, corrupt.length - 20)
    expect(() => decodeEntry(rechecked(corrupt), KEY)).toThrow(CorruptEntryError)
    expect(Buffer.from(decodeEntry(value, KEY).body).equals(body)).toBe(true)
  })

  it('a stream of another length than the header says is a CorruptEntryError', () => {
    const { value } = encodeEntry({ ...sample, body }, { codec: Codec.deflate, minBytes: 0 }, KEY)
    for (const delta of [-1, 1]) {
      const wrong = Buffer.from(value)
      wrong.writeUInt32BE(body.byteLength + delta, 32)
      expect(() => decodeEntry(rechecked(wrong), KEY)).toThrow(CorruptEntryError)
    }
    expect(Buffer.from(decodeEntry(value, KEY).body).equals(body)).toBe(true)
  })

  it("uses Node's one-shot call when the engine's internals are not there", () => {
    let oneShots = 0
    const decompress = reusedEngine(
      () => new (class Opaque {})(),
      (data, rawLength) => {
        oneShots++
        return zlib.inflateRawSync(data, { maxOutputLength: rawLength })
      },
    )
    const data = zlib.deflateRawSync(body)
    expect(Buffer.from(decompress(data, body.byteLength)).equals(body)).toBe(true)
    expect(Buffer.from(decompress(data, body.byteLength)).equals(body)).toBe(true)
    expect(oneShots).toBe(2)
  })
})
