import { startValkey, type ValkeyServer } from '@valkey-s3-cache/testkit'
import { Redis } from 'iovalkey'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createValkeyClient } from '../../src/connect/create-client'
import { toValkeyError } from '../../src/connect/errors'
import { ValkeyAuthError, ValkeyConnectionError } from '../../src/errors'
import { clientTracker, eventually, everythingIn, sleep } from './helpers'

describe('createValkeyClient against a standalone server with ACL', () => {
  let server: ValkeyServer
  const clients = clientTracker()
  beforeAll(async () => {
    server = await startValkey({ acl: true })
  })
  afterEach(() => clients.closeAll())
  afterAll(() => server.stop())

  it("detects standalone mode with cluster: 'auto' and reuses the probe connection", async () => {
    const client = clients.track(await createValkeyClient(server.url))
    expect(client).toBeInstanceOf(Redis)
    expect(client.status).toBe('ready')
    await client.set('s3c:auto', '1')
    expect(await client.get('s3c:auto')).toBe('1')
  })

  it('connects in the background with an explicit cluster: false, and the first command waits for it', async () => {
    const client = clients.track(await createValkeyClient({ url: server.url, cluster: false }))
    expect(client.status).not.toBe('ready')
    expect(await client.ping()).toBe('PONG')
  })

  it('rejects a wrong password with ValkeyAuthError naming the user, never the password', async () => {
    const password = 'definitely-not-the-password-42'
    const error = await createValkeyClient({ url: server.url, password }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ValkeyAuthError)
    expect((error as ValkeyAuthError).username).toBe('app')
    expect((error as Error).message).toMatch(/"app".*WRONGPASS/)
    expect(everythingIn(error)).not.toContain(password)
  })

  it('reports a wrong password to onError and maps failed commands the same way (explicit mode)', async () => {
    const password = 'another-wrong-password-43'
    const reported: Error[] = []
    const client = clients.track(
      await createValkeyClient({
        url: server.url,
        password,
        cluster: false,
        onError: (e) => reported.push(e),
      }),
    )
    const failure = await client.get('s3c:x').catch((e: unknown) => toValkeyError(e))
    expect(failure).toBeInstanceOf(ValkeyAuthError)
    expect(everythingIn(failure)).not.toContain(password)
    await eventually(async () => expect(reported.length).toBeGreaterThan(0))
    expect(reported[0]).toBeInstanceOf(ValkeyAuthError)
    expect(everythingIn(reported)).not.toContain(password)
  })
})

describe('createValkeyClient through an outage', () => {
  let server: ValkeyServer
  const clients = clientTracker()
  beforeAll(async () => {
    server = await startValkey({ acl: true })
  })
  afterEach(() => clients.closeAll())
  afterAll(() => server.stop())

  it('emits no unhandled error while the server is down, fails fast, reports once, and recovers', async () => {
    const consoleError = vi.spyOn(console, 'error')
    const uncaught = vi.fn()
    process.on('uncaughtException', uncaught)
    process.on('unhandledRejection', uncaught)
    const reported: Error[] = []
    try {
      const client = clients.track(
        await createValkeyClient({ url: server.url, onError: (e) => reported.push(e) }),
      )
      await client.set('s3c:outage', 'before')
      await server.process.stop()
      // Reconnect attempts run every 50 ms .. 2 s meanwhile.
      await sleep(3000)
      const started = performance.now()
      const failure = await client.get('s3c:outage').catch((e: unknown) => toValkeyError(e))
      expect(performance.now() - started).toBeLessThan(100)
      expect(failure).toBeInstanceOf(ValkeyConnectionError)
      // One report per kind of error (the reset, then refusals), not one per retry.
      expect(reported.length).toBeGreaterThan(0)
      expect(reported.length).toBeLessThanOrEqual(3)
      expect(reported.every((e) => e instanceof ValkeyConnectionError)).toBe(true)

      await server.process.start()
      await eventually(async () => expect(await client.get('s3c:outage')).toBeNull())
      await client.set('s3c:outage', 'after')
      expect(await client.get('s3c:outage')).toBe('after')
      expect(uncaught).not.toHaveBeenCalled()
      expect(consoleError.mock.calls.flat().join(' ')).not.toMatch(/Unhandled error event/)
    } finally {
      process.off('uncaughtException', uncaught)
      process.off('unhandledRejection', uncaught)
      consoleError.mockRestore()
    }
  })

  it('bounds every command while the server hangs, and recovers when it resumes', async () => {
    const client = clients.track(await createValkeyClient({ url: server.url, commandTimeout: 200 }))
    await client.set('s3c:hang', '1')
    server.process.pause()
    try {
      for (let i = 0; i < 3; i++) {
        const started = performance.now()
        await expect(client.get('s3c:hang')).rejects.toThrow()
        expect(performance.now() - started).toBeLessThan(500)
        await sleep(300)
      }
    } finally {
      server.process.resume()
    }
    await eventually(async () => expect(await client.get('s3c:hang')).toBe('1'))
  })

  it('recovers after the server restarts', async () => {
    const client = clients.track(await createValkeyClient(server.url))
    await client.set('s3c:restart', '1')
    await server.process.restart()
    await eventually(async () => expect(await client.ping()).toBe('PONG'))
    await client.set('s3c:restart', '2')
    expect(await client.get('s3c:restart')).toBe('2')
  })

  it("rejects cluster: 'auto' when nothing listens, leaving nothing running", async () => {
    const error = await createValkeyClient({ host: '127.0.0.1', port: 1 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ValkeyConnectionError)
    expect((error as Error).message).toMatch(/ECONNREFUSED/)
  })
})
