// A Valkey connection that goes half-open (the network forgets it without a reset: no error, no close,
// no answer, as a NAT or an ENI may across a long Lambda freeze), on a real valkey-server behind a TCP
// proxy that silences its open connections. The cache must notice and replace it by itself.
import { startSilenceProxy } from '@valkey-s3-cache/testkit'
import { afterAll, describe, expect, it } from 'vitest'
import { makeCache, putRaw, uniqueKey, untilHit } from './support/harness'
import { useServers } from './support/servers'

describe('a half-open Valkey connection (real valkey-server behind a silencing proxy)', () => {
  const servers = useServers()
  const stops: (() => Promise<void>)[] = []
  afterAll(async () => {
    for (const stop of stops) await stop()
  })

  it('reads fail open to S3 while it hangs, then the cache replaces it and hits Valkey again', async () => {
    const proxy = await startSilenceProxy({ port: servers.valkey.port })
    const made = makeCache(servers.s3, { valkey: proxy.url, keyPrefix: 'half-open:' })
    stops.push(
      () => made.cache.close(),
      () => proxy.stop(),
    )
    const key = uniqueKey('half-open')
    await putRaw(servers.s3, key, '{"v":1}')
    await made.cache.connect()
    await made.cache.get(key)
    expect((await made.cache.get(key)).status).toBe('hit')
    const connections = proxy.accepted

    proxy.silence()
    const during = await made.cache.get(key)
    expect(during.status).not.toBe('hit')
    expect(new TextDecoder().decode(during.body)).toBe('{"v":1}')
    expect(made.events.filter((e) => e.type === 'error' && e.operation === 'circuit-open')).toHaveLength(1)

    // Nothing will ever come back on the silenced socket: only a new connection brings Valkey back.
    expect(await untilHit(made, key, 60)).toBe('hit')
    expect(proxy.accepted).toBeGreaterThan(connections)
  })
})
