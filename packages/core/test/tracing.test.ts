import { tracingChannel } from 'node:diagnostics_channel'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import { ObjectNotFoundError } from '../src'
import { CHANNELS, readChannel } from '../src/tracing'
import { makeCache, putRaw, type TestCache, uniqueKey } from './support/harness'
import { useServers } from './support/servers'

type Seen = { channel: string; phase: string; context: Record<string, unknown> }

/** Records every phase of the three channels, with a copy of the context at that moment. */
function record() {
  const seen: Seen[] = []
  const handlers = Object.values(CHANNELS).map((name) => {
    const phases = ['start', 'asyncEnd', 'error'] as const
    const subscribers = Object.fromEntries(
      phases.map((phase) => [
        phase,
        (context: object) => seen.push({ channel: name, phase, context: { ...context } }),
      ]),
    )
    tracingChannel(name).subscribe(subscribers as never)
    return () => tracingChannel(name).unsubscribe(subscribers as never)
  })
  return {
    seen,
    stop: () => {
      for (const stop of handlers) stop()
    },
  }
}

describe('tracing through node:diagnostics_channel (real Valkey and S3)', () => {
  const servers = useServers()
  const made: TestCache[] = []
  let recording: ReturnType<typeof record> | undefined
  afterEach(() => recording?.stop())
  afterAll(async () => {
    for (const { cache } of made) await cache.close()
  })
  const cacheWith = (options = {}) => {
    const c = makeCache(servers.s3, { valkey: servers.valkey.url, ...options })
    made.push(c)
    return c
  }
  const ends = (seen: Seen[], channel: string) =>
    seen.filter((s) => s.channel === channel && s.phase === 'asyncEnd').map((s) => s.context)

  it('traces a read: a miss with its S3 load and store calls, then an L2 hit, then an L1 hit', async () => {
    const { cache } = cacheWith({ l1: { ttl: '1m' } })
    const key = uniqueKey('traced')
    await putRaw(servers.s3, key, '{"traced":true}')
    // Subscribed to the change channel and confirmed before the traced reads (as in a function's INIT).
    await cache.connect()
    recording = record()
    await cache.getJson(key)
    const miss = [...recording.seen]
    recording.seen.length = 0
    await makeCache(servers.s3, { valkey: servers.valkey.url })
      .cache.get(key)
      .then(() => {})
    const l2 = [...recording.seen]
    recording.seen.length = 0
    await cache.getText(key)
    const l1 = [...recording.seen]

    expect(ends(miss, CHANNELS.read)).toEqual([
      expect.objectContaining({
        operation: 'getJson',
        key,
        bucket: servers.bucket,
        status: 'miss',
        bytes: 15,
      }),
    ])
    expect(ends(miss, CHANNELS.origin)).toEqual([
      expect.objectContaining({ key, bucket: servers.bucket, source: 's3', outcome: 'entry', bytes: 15 }),
    ])
    expect(ends(miss, CHANNELS.valkey).map((c) => c.operation)).toEqual([
      'valkey-read',
      'valkey-lease',
      'valkey-write',
    ])
    expect(ends(miss, CHANNELS.valkey).every((c) => c.key === key)).toBe(true)
    expect(ends(l2, CHANNELS.read)).toEqual([
      expect.objectContaining({ operation: 'get', status: 'hit', layer: 'l2', bytes: 15 }),
    ])
    expect(ends(l2, CHANNELS.origin)).toEqual([])
    expect(ends(l1, CHANNELS.read)).toEqual([
      expect.objectContaining({ operation: 'getText', status: 'hit', layer: 'l1' }),
    ])
    expect(ends(l1, CHANNELS.valkey)).toEqual([])
    // Every traced call starts before it ends.
    for (const seen of [miss, l2, l1]) {
      expect(seen.filter((s) => s.phase === 'start').length).toBe(
        seen.filter((s) => s.phase !== 'start').length,
      )
    }
  })

  it('traces wrap with its loader as the origin, and a failed read through error', async () => {
    const { cache } = cacheWith()
    recording = record()
    const key = uniqueKey('wrap-traced')
    await cache.wrap(key, () => ({ computed: 1 }))
    const missing = uniqueKey('missing')
    await expect(cache.get(missing)).rejects.toBeInstanceOf(ObjectNotFoundError)
    const { seen } = recording
    expect(ends(seen, CHANNELS.read)[0]).toMatchObject({ operation: 'wrap', key, status: 'miss' })
    expect(ends(seen, CHANNELS.read)[0]?.bucket).toBeUndefined()
    expect(ends(seen, CHANNELS.origin)[0]).toMatchObject({
      key,
      source: 'loader',
      outcome: 'entry',
      bytes: 14,
    })
    const failed = seen.filter((s) => s.channel === CHANNELS.read && s.phase === 'error')
    expect(failed).toHaveLength(1)
    expect(failed[0]?.context).toMatchObject({ operation: 'get', key: missing })
    expect(failed[0]?.context.error).toBeInstanceOf(ObjectNotFoundError)
  })

  it('publishes nothing and builds no context while nobody subscribes', async () => {
    const { cache } = cacheWith()
    const key = uniqueKey('untraced')
    await putRaw(servers.s3, key, '{}')
    expect(readChannel.hasSubscribers).toBe(false)
    const tracePromise = vi.spyOn(readChannel, 'tracePromise')
    await cache.get(key)
    await cache.get(key)
    expect(tracePromise).not.toHaveBeenCalled()
    tracePromise.mockRestore()
  })
})
