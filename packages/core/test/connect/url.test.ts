import { startValkey, type ValkeyServer } from '@valkey-s3-cache/testkit'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createValkeyClient } from '../../src/connect/create-client'
import { clientTracker } from './helpers'

const username = 'app.reader-1'
const password = 'p@ss:w/rd%?&=+'

describe('connection URLs against real servers', () => {
  let plain: ValkeyServer
  let secure: ValkeyServer
  const clients = clientTracker()
  beforeAll(async () => {
    ;[plain, secure] = await Promise.all([
      startValkey({ acl: { username, password } }),
      startValkey({ acl: { username, password }, tls: true }),
    ])
  })
  afterEach(() => clients.closeAll())
  afterAll(() => Promise.all([plain.stop(), secure.stop()]))

  const auth = `${encodeURIComponent(username)}:${encodeURIComponent(password)}`

  it.each(['valkey', 'redis', 'valkeys', 'rediss'])(
    '%s:// with a percent-encoded user and password and a db',
    async (scheme) => {
      const tls = scheme.endsWith('s')
      const server = tls ? secure : plain
      const url = `${scheme}://${auth}@127.0.0.1:${server.port}/3`
      const client = clients.track(
        await createValkeyClient({ url, ...(tls ? { tls: { ca: server.tls?.ca } } : {}) }),
      )
      const info = (await client.call('CLIENT', 'INFO')) as string
      expect(info).toContain(`user=${username}`)
      expect(info).toMatch(/ db=3 /)
      await client.set('s3c:url', scheme)
      expect(await client.get('s3c:url')).toBe(scheme)
    },
  )

  it('lets explicit options override the URL', async () => {
    const url = `valkey://${encodeURIComponent(username)}:wrong@127.0.0.1:${plain.port}/3`
    const client = clients.track(await createValkeyClient({ url, password, db: 0 }))
    expect((await client.call('CLIENT', 'INFO')) as string).toMatch(/ db=0 /)
  })
})
