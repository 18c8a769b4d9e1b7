// A Lambda freeze, as the process sees it on thaw: every timer is overdue, and the replies that arrived
// meanwhile wait in the sockets. Node runs overdue timers before it reads sockets, so a bound that fires on
// thaw must not be taken for a slow server. Blocking the event loop reproduces exactly that order.

import { blockEventLoop, startValkey } from '@valkey-s3-cache/testkit'
import { describe, expect, it } from 'vitest'
import { entryKeys } from '../src/keys'
import { makeCache, putRaw, sleep, uniqueKey } from './support/harness'
import { useServers } from './support/servers'

const servers = useServers()

/** Lets what a call sent leave the process (writes are flushed on the next tick), then freezes. */
async function freezeAfterSending(ms: number): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve))
  blockEventLoop(ms)
}

describe('a freeze while calls are in flight (event loop blocked; replies arrive meanwhile)', () => {
  it('a hit whose GET was answered during the freeze is a hit on thaw, with no error event', async () => {
    const { cache, events } = servers.cacheOnOwnClient({ timeouts: { valkey: 100 } })
    const key = uniqueKey('freeze-hit')
    await putRaw(servers.s3, key, '{"v":1}')
    await cache.get(key)
    const pending = cache.get(key)
    await freezeAfterSending(400)
    expect((await pending).status).toBe('hit')
    expect(events.filter((event) => event.type === 'error')).toEqual([])
  })

  it('the same on the client the cache creates from a URL (its own commandTimeout)', async () => {
    const { cache, events } = servers.cacheOnOwnClient({ valkey: servers.valkey.url })
    const key = uniqueKey('freeze-url')
    await putRaw(servers.s3, key, '{"v":1}')
    await cache.get(key)
    const pending = cache.get(key)
    await freezeAfterSending(600)
    expect((await pending).status).toBe('hit')
    expect(events.filter((event) => event.type === 'error')).toEqual([])
  })

  it('a stale read whose revalidation was under way is answered on thaw with no error event', async () => {
    const { cache, events } = servers.cacheOnOwnClient({
      ttl: 100,
      staleTtl: '1m',
      jitter: 0,
      timeouts: { s3: 300, revalidate: 200 },
    })
    const key = uniqueKey('freeze-revalidate')
    await putRaw(servers.s3, key, '{"v":1}')
    await cache.get(key)
    await sleep(150)
    const pending = cache.get(key)
    await freezeAfterSending(30) // the revalidation's GET and BEGIN are on their way
    await sleep(5)
    blockEventLoop(800)
    const answer = await pending
    expect(['hit', 'stale']).toContain(answer.status)
    await sleep(400) // the revalidation's own end, whatever it is
    expect(
      events
        .filter((event) => event.type === 'error')
        .map((event) => event.type === 'error' && `${event.operation}: ${event.error.message}`),
    ).toEqual([])
  })
})

describe('a lease BEGIN that timed out on the client but ran on the server (real Valkey, paused)', () => {
  it('is released once the server runs it: no other process waits out lock.wait for a lease nobody holds', async () => {
    const valkey = await startValkey()
    const s3 = servers.s3
    const made = makeCache(s3, {
      valkey: valkey.url,
      timeouts: { valkey: 100 },
      lock: { ttl: '10s', wait: '2s' },
    })
    try {
      const key = uniqueKey('orphan-lease')
      await putRaw(s3, key, '{"v":1}')
      await made.cache.connect()
      valkey.process.pause() // the GET and the BEGIN wait in the socket; the client gives up on both
      expect((await made.cache.get(key)).status).toBe('bypass')
      valkey.process.resume()
      const admin = await valkey.adminClient()
      const lease = entryKeys('s3c:', 'o', s3.bucket, key).lease
      for (let i = 0; i < 20 && (await admin.exists(lease)) === 1; i++) await sleep(50)
      expect(await admin.exists(lease)).toBe(0)
    } finally {
      valkey.process.resume()
      await made.cache.close()
      await valkey.stop()
    }
  })
})
