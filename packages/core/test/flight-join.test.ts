// A read that joins one already in flight in its process takes that read's answer only if it is
// proven for the joiner: a GET sent before the joiner began may have run before another process's
// change resolved. Here the reader reaches a real valkey-server through a proxy that holds replies:
// its GET runs at once, its reply comes 300 ms later, and another process invalidates meanwhile.
import { startSilenceProxy } from '@valkey-s3-cache/testkit'
import { afterAll, describe, expect, it } from 'vitest'
import { makeCache, putRaw, sleep, uniqueKey } from './support/harness'
import { useServers } from './support/servers'

describe('a read that joins a read in flight (no L1; replies held by a proxy in front of valkey-server)', () => {
  const servers = useServers()
  const stops: (() => Promise<void>)[] = []
  afterAll(async () => {
    for (const stop of stops) await stop()
  })

  it('begun after another process invalidated, it answers the change, not the GET sent before', async () => {
    const proxy = await startSilenceProxy({ port: servers.valkey.port })
    const keyPrefix = 'flight-join:'
    const reader = makeCache(servers.s3, { valkey: proxy.url, keyPrefix, timeouts: { valkey: 2000 } })
    const writer = makeCache(servers.s3, { valkey: servers.valkey.url, keyPrefix })
    stops.push(
      () => reader.cache.close(),
      () => writer.cache.close(),
      () => proxy.stop(),
    )
    await Promise.all([reader.cache.connect(), writer.cache.connect()])
    const key = uniqueKey('flight-join')
    await putRaw(servers.s3, key, 'v1', 'text/plain')
    await reader.cache.getText(key)
    expect((await reader.cache.get(key)).status).toBe('hit')
    await putRaw(servers.s3, key, 'v2', 'text/plain')

    proxy.holdReplies(300)
    // This GET reaches the server and finds v1; its reply waits in the proxy.
    const before = reader.cache.getText(key)
    await sleep(50)
    await writer.cache.invalidate(key)
    // Begun after the invalidate resolved: it must not share the GET that ran before it.
    const after = reader.cache.getText(key)
    expect(await before).toBe('v1')
    expect(await after).toBe('v2')
  })
})
