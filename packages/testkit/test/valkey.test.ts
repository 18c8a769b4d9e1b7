import { once } from 'node:events'
import { connect as connectTcp } from 'node:net'
import { Redis } from 'iovalkey'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startValkey, type ValkeyServer } from '../src'
import { ENGINES, reportedEngine } from './support/engines'

describe.each(ENGINES)('%s: standalone server', (engine) => {
  let server: ValkeyServer
  beforeAll(async () => {
    server = await startValkey({ engine })
  })
  afterAll(() => server.stop())

  it('runs the engine asked for, at the version it reports in INFO server', async () => {
    const admin = await server.adminClient()
    const reported = await reportedEngine(admin)
    console.log(`standalone ${server.engine} ${server.version}`)
    expect(reported).toEqual({ engine, version: server.version })
    expect(server.process.engine).toBe(engine)
  })
})

describe.each(ENGINES)('%s: standalone server with an ACL user', (engine) => {
  let server: ValkeyServer
  beforeAll(async () => {
    server = await startValkey({ engine, acl: { keyPrefix: 'app:' } })
  })
  afterAll(() => server.stop())

  const connect = async (password: string) => {
    const client = new Redis(server.options({ password, lazyConnect: true, retryStrategy: () => null }))
    const failed = firstError(client)
    try {
      await Promise.race([client.connect(), failed.then((error) => Promise.reject(error))])
      return client
    } finally {
      if (client.status !== 'ready') client.disconnect()
    }
  }

  it('lets the app user use keys under its prefix', async () => {
    const client = await connect(server.acl?.password ?? '')
    await client.set('app:one', '1')
    expect(await client.get('app:one')).toBe('1')
    client.disconnect()
  })

  it('refuses a key outside the prefix with NOPERM', async () => {
    const client = await connect(server.acl?.password ?? '')
    await expect(client.set('other:one', '1')).rejects.toThrow(/NOPERM/)
    client.disconnect()
  })

  it('lets the app user publish and subscribe on channels under its prefix, and no other', async () => {
    const subscriber = await connect(server.acl?.password ?? '')
    const publisher = await connect(server.acl?.password ?? '')
    try {
      const received = once(subscriber, 'message')
      await subscriber.subscribe('app:{l1}')
      expect(await publisher.publish('app:{l1}', 'changed')).toBe(1)
      expect(await received).toEqual(['app:{l1}', 'changed'])
      await expect(publisher.publish('other:{l1}', 'changed')).rejects.toThrow(/NOPERM/)
      await expect(publisher.subscribe('other:{l1}')).rejects.toThrow(/NOPERM/)
    } finally {
      subscriber.disconnect()
      publisher.disconnect()
    }
  })

  it('refuses the wrong password', async () => {
    await expect(connect('wrong-password')).rejects.toThrow(/WRONGPASS/)
  })

  it('has the default user disabled', async () => {
    const socket = connectTcp(server.port, '127.0.0.1')
    socket.write('GET app:one\r\n')
    const [reply] = (await once(socket, 'data')) as [Buffer]
    socket.destroy()
    expect(reply.toString()).toMatch(/^-NOAUTH/)
  })

  it('restarts on the same port after a crash', async () => {
    await server.process.restart()
    const client = await connect(server.acl?.password ?? '')
    expect(await client.ping()).toBe('PONG')
    client.disconnect()
  })
})

describe.each(ENGINES)('%s: standalone server with TLS', (engine) => {
  let server: ValkeyServer
  beforeAll(async () => {
    server = await startValkey({ engine, tls: true })
  })
  afterAll(() => server.stop())

  it('answers a client that trusts the throwaway CA', async () => {
    const client = new Redis(server.options({ lazyConnect: true }))
    await client.connect()
    expect(await client.ping()).toBe('PONG')
    expect(server.url).toMatch(/^valkeys:\/\//)
    client.disconnect()
  })

  it('refuses plaintext', async () => {
    const client = new Redis({
      host: '127.0.0.1',
      port: server.port,
      lazyConnect: true,
      retryStrategy: () => null,
      connectTimeout: 2000,
      maxRetriesPerRequest: 0,
    })
    client.on('error', () => {})
    await expect(client.connect().then(() => client.ping())).rejects.toThrow()
    client.disconnect()
  })

  it('refuses a client that does not trust the CA', async () => {
    const client = new Redis({
      host: '127.0.0.1',
      port: server.port,
      tls: {},
      lazyConnect: true,
      retryStrategy: () => null,
    })
    const failed = firstError(client)
    client.connect().catch(() => {})
    expect((await failed).message).toMatch(/certificate/i)
    client.disconnect()
  })
})

/** iovalkey reports the cause of a failed connect (WRONGPASS, TLS) on its `error` event. */
function firstError(client: Redis): Promise<Error> {
  return new Promise((resolve) => client.once('error', resolve))
}
