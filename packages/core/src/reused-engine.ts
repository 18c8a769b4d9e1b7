/**
 * The parts of a Node.js zlib engine (`zlib.InflateRaw`, `zlib.Gunzip`, `zlib.ZstdDecompress`) that
 * its own one-shot functions drive. Not documented: {@link reusedEngine} checks they are there, and
 * uses the one-shot function when they are not.
 */
interface NativeEngine {
  _handle: {
    reset(): void
    writeSync(
      flush: number,
      input: Uint8Array,
      inOffset: number,
      inLength: number,
      output: Uint8Array,
      outOffset: number,
      outLength: number,
    ): void
  } | null
  /** After a write: output bytes left unused, input bytes left unread. */
  _writeState: Uint32Array
  _finishFlushFlag: number
  on(event: 'error', listener: () => void): unknown
}

/** Decompresses `data` into a body of `rawLength` bytes (the entry header's). */
export type Decompress = (data: Uint8Array, rawLength: number) => Uint8Array

function usable(engine: Partial<NativeEngine>): engine is NativeEngine {
  return (
    typeof engine._handle?.writeSync === 'function' &&
    typeof engine._handle.reset === 'function' &&
    engine._writeState instanceof Uint32Array &&
    typeof engine._finishFlushFlag === 'number'
  )
}

/**
 * Decompression on one engine per codec, reset before each body, instead of a new one per call as
 * `zlib.inflateRawSync` makes. Each new engine is a stream object around a native handle, and the
 * handle is a weak root that scavenges keep alive: every hit promoted a stream and its output buffer
 * to the old generation, so a 10 KiB hit at concurrency 1 cost a mark-compact every ~700 hits and
 * ~60 µs of CPU for a body a reused engine inflates in ~10 µs (see docs/concepts/read-path.md).
 *
 * The output is one buffer of the header's size, the whole body at once. Anything unusual (the
 * engine's internals missing on this Node.js, a corrupt stream, a body of another length) goes
 * through `oneShot`, which gives the answer or the error Node's own function gives.
 */
export function reusedEngine(create: () => unknown, oneShot: Decompress): Decompress {
  let engine: NativeEngine | undefined
  let available = true
  const open = (): NativeEngine | undefined => {
    if (!available) return undefined
    let made: Partial<NativeEngine> | undefined
    try {
      made = create() as Partial<NativeEngine>
    } catch {}
    if (!made || !usable(made)) {
      available = false
      return undefined
    }
    // A failed write destroys the engine, which then emits its error: `oneShot` reports it instead.
    made.on('error', () => {})
    return made
  }
  return (data, rawLength) => {
    engine ??= open()
    const handle = engine?._handle
    if (!engine || !handle) return oneShot(data, rawLength)
    handle.reset()
    const out = Buffer.allocUnsafe(rawLength)
    handle.writeSync(engine._finishFlushFlag, data, 0, data.byteLength, out, 0, rawLength)
    if (!engine._handle) {
      // The stream was corrupt and the engine is closed: the next body gets a new one.
      engine = undefined
      return oneShot(data, rawLength)
    }
    const state = engine._writeState
    // Exactly the header's length, with every input byte read: else let Node's function judge it.
    return state[0] === 0 && state[1] === 0 ? out : oneShot(data, rawLength)
  }
}
