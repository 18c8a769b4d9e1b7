import { startValkey, type ValkeyServer } from '@valkey-s3-cache/testkit'
import type { Redis } from 'iovalkey'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createValkeyClient } from '../../src/connect/create-client'
import { credentialSource } from '../../src/connect/credentials'
import type { ValkeyCredentials } from '../../src/connect/options'
import { CacheConfigError, ValkeyAuthError } from '../../src/errors'
import { clientTracker, eventually, everythingIn, sleep } from './helpers'

describe('credentials re-read at every connection (password rotation)', () => {
  let server: ValkeyServer
  let admin: Redis
  const clients = clientTracker()
  beforeAll(async () => {
    server = await startValkey({ acl: true })
    admin = await server.adminClient()
  })
  afterEach(() => clients.closeAll())
  afterAll(() => server.stop())

  const rotate = async (password: string) => {
    await admin.call('ACL', 'SETUSER', 'app', 'resetpass', `>${password}`)
    // Existing connections stay authenticated; killing them forces a reconnect with fresh credentials.
    await admin.call('CLIENT', 'KILL', 'USER', 'app')
  }

  it('reconnects with the rotated secret after the old password is removed', async () => {
    let secret: ValkeyCredentials = { username: 'app', password: server.acl?.password ?? '' }
    let calls = 0
    const client = clients.track(
      await createValkeyClient({
        host: '127.0.0.1',
        port: server.port,
        credentials: async () => {
          calls++
          return secret
        },
      }),
    )
    await client.set('s3c:rotation', 'before')
    expect(calls).toBe(1)

    const rotated = 'rotated-secret-0123456789'
    secret = { username: 'app', password: rotated }
    await rotate(rotated)
    await eventually(async () => expect(await client.get('s3c:rotation')).toBe('before'))
    expect(calls).toBeGreaterThanOrEqual(2)
    const info = (await client.call('CLIENT', 'INFO')) as string
    expect(info).toMatch(/user=app/)
  })

  it('keeps retrying while the secret store lags the rotation, reporting the refusal once', async () => {
    const first = 'first-secret-0123456789'
    await rotate(first)
    let password = first
    const reported: Error[] = []
    const client = clients.track(
      await createValkeyClient({
        host: '127.0.0.1',
        port: server.port,
        username: 'app',
        credentials: () => ({ password }),
        onError: (error) => reported.push(error),
      }),
    )
    await client.set('s3c:lag', '1')

    await rotate('second-secret-0123456789')
    // The client still gets the old secret for a while: every reconnect is refused.
    await eventually(async () => expect(reported.some((e) => e instanceof ValkeyAuthError)).toBe(true))
    password = 'second-secret-0123456789'
    await eventually(async () => expect(await client.get('s3c:lag')).toBe('1'))
    const refusals = reported.filter((e) => e instanceof ValkeyAuthError)
    expect(refusals).toHaveLength(1)
    expect((refusals[0] as ValkeyAuthError).username).toBe('app')
    expect(everythingIn(reported)).not.toContain(first)
  })

  it('shares one credentials call between concurrent connection attempts, and checks the result', async () => {
    let calls = 0
    const source = credentialSource(async () => {
      calls++
      await sleep(20)
      return { username: 'app', password: 'shared-secret' }
    }, 'credentials')
    const results = await Promise.all([source(), source(), source()])
    expect(calls).toBe(1)
    expect(new Set(results.map((r) => r.password))).toEqual(new Set(['shared-secret']))
    await source()
    expect(calls).toBe(2)
    const empty = credentialSource(() => ({ password: '' }), 'credentials')
    await expect(empty()).rejects.toBeInstanceOf(CacheConfigError)
  })
})
