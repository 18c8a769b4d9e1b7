import { makeTempDir, makeTlsMaterial, startValkey, type ValkeyServer } from '@valkey-s3-cache/testkit'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createValkeyClient } from '../../src/connect/create-client'
import { ValkeyConnectionError } from '../../src/errors'
import { clientTracker, sleep } from './helpers'

describe('TLS', () => {
  let secure: ValkeyServer
  let plain: ValkeyServer
  let otherCa: string
  const clients = clientTracker()
  beforeAll(async () => {
    ;[secure, plain] = await Promise.all([startValkey({ tls: true, acl: true }), startValkey()])
    otherCa = makeTlsMaterial(makeTempDir('other-ca'), 'some other CA').ca
  })
  afterEach(() => clients.closeAll())
  afterAll(() => Promise.all([secure.stop(), plain.stop()]))

  it('connects to a TLS port with a valkeys:// URL and the CA that signed the server certificate', async () => {
    const client = clients.track(await createValkeyClient({ url: secure.url, tls: { ca: secure.tls?.ca } }))
    expect(await client.ping()).toBe('PONG')
    const info = (await client.call('CLIENT', 'INFO')) as string
    expect(info).toMatch(/user=app/)
  })

  it('fails closed with a certificate from an untrusted CA, saying so', async () => {
    const error = await createValkeyClient({ url: secure.url, tls: { ca: otherCa } }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ValkeyConnectionError)
    expect((error as Error).message).toMatch(/certificate was rejected.*tls\.ca/)
  })

  it('never sends a command over an unverified connection (explicit mode keeps failing)', async () => {
    const reported: Error[] = []
    const client = clients.track(
      await createValkeyClient({
        url: secure.url,
        tls: { ca: otherCa },
        cluster: false,
        onError: (e) => reported.push(e),
      }),
    )
    await expect(client.ping()).rejects.toThrow()
    await sleep(500)
    await expect(client.ping()).rejects.toThrow()
    expect(reported).toHaveLength(1)
    expect(reported[0]?.message).toMatch(/certificate/)
  })

  it('says TLS when a plain-text client meets a TLS port', async () => {
    const error = await createValkeyClient(`valkey://127.0.0.1:${secure.port}`).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ValkeyConnectionError)
    expect((error as Error).message).toMatch(/TLS.*valkeys:\/\//)
  })

  it('says TLS when a TLS client meets a plain-text port', async () => {
    const error = await createValkeyClient(`valkeys://127.0.0.1:${plain.port}`).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ValkeyConnectionError)
    // The plain server either answers the ClientHello with a text error or waits for a newline.
    expect((error as Error).message).toMatch(/does not seem to serve TLS|serves plain text \(not TLS\)/)
  })
})
