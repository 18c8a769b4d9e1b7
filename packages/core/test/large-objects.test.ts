// Objects over maxObjectBytes (served with status 'bypass', never stored) on a real S3 server and a
// real valkey-server: their body is buffered once, and warm({ keys }) does not download them.
import { PassThrough, type Readable } from 'node:stream'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import type { S3Client } from '@aws-sdk/client-s3'
// The stream mixin the SDK itself puts on response bodies, so the wrapped body behaves as the SDK's does.
import { sdkStreamMixin } from '@smithy/core/serde'
import { describe, expect, it } from 'vitest'
import { putRaw, uniqueKey } from './support/harness'
import { useServers } from './support/servers'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

const SIZE = 4 * 1024 * 1024

/**
 * Passes each GetObject body through a counting stream: how many bytes the cache pulled from S3, and
 * how many bytes of body chunks were still held by anyone (after a full GC) when the body ended.
 */
function watchBodies(client: S3Client) {
  const seen = { pulled: 0, heldAtEnd: -1 }
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args)
      if (context.commandName !== 'GetObjectCommand') return result
      const output = result.output as { Body?: Readable }
      if (!output.Body) return result
      const chunks: WeakRef<Uint8Array>[] = []
      const counter = new PassThrough({
        transform(chunk: Uint8Array, _encoding, done) {
          seen.pulled += chunk.byteLength
          chunks.push(new WeakRef(chunk))
          done(null, chunk)
        },
      })
      counter.on('end', () => {
        gc()
        seen.heldAtEnd = chunks.reduce((sum, ref) => sum + (ref.deref()?.byteLength ?? 0), 0)
      })
      output.Body.pipe(counter)
      output.Body = sdkStreamMixin(counter) as unknown as Readable
      return result
    },
    { step: 'initialize', name: 'testWatchBodies' },
  )
  return seen
}

describe('objects over maxObjectBytes (real S3 and Valkey)', () => {
  const servers = useServers()

  it('a bypass read buffers the body once: no chunk of it is still held when the body ends', async () => {
    const { cache, client } = servers.cacheOnOwnClient({ maxObjectBytes: 1024 })
    const seen = watchBodies(client)
    const key = uniqueKey('big-bypass')
    const body = new Uint8Array(SIZE).map((_, i) => i % 251)
    await putRaw(servers.s3, key, body, 'application/octet-stream')
    const object = await cache.get(key)
    expect(object.status).toBe('bypass')
    expect(Buffer.from(object.body).equals(Buffer.from(body))).toBe(true)
    expect(seen.pulled).toBe(SIZE)
    // Copied into one buffer of the known size as they arrive: at most the chunk in hand is held.
    expect(seen.heldAtEnd).toBeGreaterThanOrEqual(0)
    expect(seen.heldAtEnd).toBeLessThan(SIZE / 8)
  })

  it('warm({ keys }) skips an object over maxObjectBytes without downloading it', async () => {
    const { cache, client } = servers.cacheOnOwnClient({ maxObjectBytes: 1024, keyPrefix: 'bigwarm:' })
    const seen = watchBodies(client)
    const big = uniqueKey('big-warm')
    const small = uniqueKey('small-warm')
    await putRaw(servers.s3, big, new Uint8Array(SIZE), 'application/octet-stream')
    await putRaw(servers.s3, small, '{"ok":true}')
    const result = await cache.warm({ keys: [big, small] })
    expect(result).toMatchObject({ loaded: 1, skipped: 1, failed: 0, bytes: 11 })
    // Only what the socket had already buffered may have passed, never the object.
    expect(seen.pulled).toBeLessThan(SIZE / 8)
    // A plain get of the same object still serves it whole.
    expect((await cache.get(big)).body.byteLength).toBe(SIZE)
  })
})
