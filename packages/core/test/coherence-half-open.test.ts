// A coherent L1 whose subscription goes half-open: the network forgets the connection without a reset
// (a NAT or an ENI, say), so no message, no error and no close ever arrives on it. A real valkey-server
// behind a testkit proxy that silences the connections open at that moment; the writer is not behind it.
import { startSilenceProxy } from '@valkey-s3-cache/testkit'
import { afterAll, describe, expect, it } from 'vitest'
import { makeCache, putRaw, sleep, uniqueKey } from './support/harness'
import { useServers } from './support/servers'

describe('coherent L1 with a half-open subscription (real valkey-server behind a silencing proxy)', () => {
  const servers = useServers()
  const stops: (() => Promise<void>)[] = []
  afterAll(async () => {
    for (const stop of stops) await stop()
  })

  it('the deaf subscription is found and L1 stops answering the old body, long before l1.ttl', async () => {
    const proxy = await startSilenceProxy({ port: servers.valkey.port })
    const reader = makeCache(servers.s3, { valkey: proxy.url, l1: { ttl: '1h' }, ttl: '1h' })
    const writer = servers.cacheOnOwnClient({ ttl: '1h' })
    stops.push(
      () => reader.cache.close(),
      () => proxy.stop(),
    )
    const key = uniqueKey('half-open-l1')
    await putRaw(servers.s3, key, 'v1', 'text/plain')
    await reader.cache.connect()
    await sleep(50) // subscribed and confirmed
    expect(await reader.cache.getText(key)).toBe('v1')
    expect(await reader.cache.getText(key)).toBe('v1') // from L1

    proxy.silence()
    await writer.cache.put(key, 'v2', { contentType: 'text/plain' })
    // Its message never reaches the reader; what it answers from L1 must stop being v1 all the same.
    let text = 'v1'
    for (let i = 0; i < 40 && text === 'v1'; i++) {
      await sleep(100)
      text = await reader.cache.getText(key)
    }
    expect(text).toBe('v2')
    expect(reader.events.some((e) => e.type === 'error' && e.operation === 'l1-subscription')).toBe(true)
  })
})
