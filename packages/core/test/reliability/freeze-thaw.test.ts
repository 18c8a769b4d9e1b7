import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  makeTempDir,
  makeTlsMaterial,
  startValkey,
  type TlsMaterial,
  type ValkeyServer,
} from '@valkey-s3-cache/testkit'
import type { Redis } from 'iovalkey'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Duration } from '../../src'
import { type IamGate, startIamGate } from './iam-gate'
import { type LambdaEnvironment, thawSuite } from './lambda-env'

// Servers close connections idle for IDLE_TIMEOUT_S (valkey.conf `timeout`), as ElastiCache, NATs and
// load balancers do; a freeze of FREEZE_MS outlasts it (Valkey checks idle clients about once a second).
const IDLE_TIMEOUT_S = 1
const FREEZE_MS = 3000

const IAM = {
  userId: 'iam-user',
  cacheName: 'lifecycle-cache',
  region: 'us-east-1',
  credentials: { accessKeyId: 'AKIDLIFECYCLE', secretAccessKey: 'lifecycle/secret+key' },
}

describe('Lambda lifecycle: freeze and thaw (function in a child process, real valkey-server and S3)', () => {
  const suite = thawSuite(
    'Reliability: freeze and thaw (packages/core/test/reliability/freeze-thaw.test.ts)',
    FREEZE_MS,
  )
  const { thaw, expectHit, put } = suite
  const server = async (options: Parameters<typeof startValkey>[0]) => {
    const started = await startValkey(options)
    suite.cleanup(() => started.stop())
    return started
  }

  describe('standalone, plain TCP', () => {
    let valkey: ValkeyServer
    let env: LambdaEnvironment
    beforeAll(async () => {
      valkey = await server({ config: [`timeout ${IDLE_TIMEOUT_S}`] })
      env = await suite.start({ url: valkey.url })
    })

    it('the server closed the idle connection: the first read is a Valkey hit, no S3 call, no error event', async () => {
      const first = await thaw('idle close', env, 'thaw/idle.json')
      expectHit(first, 'thaw/idle.json')
      expectHit(await env.get('thaw/idle.json'), 'thaw/idle.json')
    })

    it('the server restarted with its data: the first read is a Valkey hit', async () => {
      const first = await thaw('server restart, data kept', env, 'thaw/restart-kept.json', async () => {
        const admin = await valkey.adminClient()
        await admin.call('SAVE')
        await valkey.process.restart()
      })
      expectHit(first, 'thaw/restart-kept.json')
    })

    it('the server restarted empty: one S3 load per key, no error event, hits after it', async () => {
      const keys = ['thaw/restart-lost-1.json', 'thaw/restart-lost-2.json', 'thaw/restart-lost-3.json']
      for (const key of keys.slice(1)) {
        await put(key, JSON.stringify({ key }))
        await env.get(key)
      }
      const first = await thaw(
        'server restart, data lost',
        env,
        keys[0] as string,
        async () => {
          await valkey.process.stop()
          rmSync(join(valkey.process.dir, 'dump.rdb'), { force: true })
          await valkey.process.start()
        },
        'each key: 1 S3 load, then hits',
      )
      expect(first).toMatchObject({ status: 'miss', s3Calls: 1, errors: [] })
      for (const key of keys.slice(1)) {
        expect(await env.get(key)).toMatchObject({ status: 'miss', s3Calls: 1, errors: [] })
      }
      for (const key of keys) expectHit(await env.get(key), key)
    })
  })

  it('SIGTERM at shutdown: the function closes the cache and exits, even while Valkey answers nothing', async () => {
    const valkey = await server({})
    const answering = await suite.start({ url: valkey.url })
    const paused = await suite.start({ url: valkey.url })
    await suite.put('thaw/shutdown.json', '{}')
    await answering.get('thaw/shutdown.json')
    await paused.get('thaw/shutdown.json')
    expect(await answering.terminate()).toBe(0)
    valkey.process.pause()
    try {
      expect(await paused.terminate()).toBe(0)
    } finally {
      valkey.process.resume()
    }
  })

  it('TLS: the server closed the idle connection: the first read is a Valkey hit', async () => {
    const valkey = await server({ tls: true, config: [`timeout ${IDLE_TIMEOUT_S}`] })
    const env = await suite.start({ url: valkey.url, tls: { ca: valkey.tls?.ca, servername: 'localhost' } })
    expectHit(await thaw('TLS, idle close', env, 'thaw/tls.json'), 'thaw/tls.json')
  })

  it('credentials rotated while frozen (old password removed): the reconnect uses the new secret', async () => {
    const valkey = await server({ acl: true, config: [`timeout ${IDLE_TIMEOUT_S}`] })
    const user = valkey.acl as { username: string; password: string }
    const secretFile = join(makeTempDir('secret'), 'secret.json')
    writeFileSync(secretFile, JSON.stringify(user))
    const env = await suite.start({ url: `valkey://127.0.0.1:${valkey.port}`, credentialsFile: secretFile })
    const first = await thaw('ACL user, secret rotated + idle close', env, 'thaw/rotated.json', async () => {
      const admin = await valkey.adminClient()
      const rotated = { username: user.username, password: `${user.password}-rotated` }
      await admin.call('ACL', 'SETUSER', user.username, 'resetpass', `>${rotated.password}`)
      writeFileSync(secretFile, JSON.stringify(rotated))
    })
    expectHit(first, 'thaw/rotated.json')
  })

  describe('IAM authentication (ElastiCache token check in front of valkey-server)', () => {
    let admin: Redis
    let gate: IamGate
    let tls: TlsMaterial
    beforeAll(async () => {
      const backend = await server({})
      admin = await backend.adminClient()
      // The gate checks the token; the IAM user itself is nopass, as in iam.test.ts.
      await admin.call('ACL', 'SETUSER', IAM.userId, 'on', 'nopass', '~s3c:*', 'resetchannels', '+@all')
      tls = makeTlsMaterial(makeTempDir('iam-gate'))
      gate = await startIamGate({ backend: { host: '127.0.0.1', port: backend.port }, tls, ...IAM })
      suite.cleanup(() => gate.stop())
    })
    const iamEnv = (reauthenticateEvery: Duration) =>
      suite.start({
        url: `valkeys://127.0.0.1:${gate.port}`,
        tls: { ca: tls.ca, servername: 'localhost' },
        iam: { ...IAM, reauthenticateEvery },
      })

    it('the token expired and the connection was closed while frozen: a fresh token on reconnect, a Valkey hit', async () => {
      const env = await iamEnv('1h')
      let accepted = 0
      const first = await thaw('IAM, token expired + connection closed', env, 'thaw/iam.json', async () => {
        accepted = gate.accepted
        gate.expireTokensSignedBefore(new Date())
        gate.dropConnections()
      })
      expectHit(first, 'thaw/iam.json')
      expect(gate.refused).toBe(0)
      expect(gate.accepted).toBe(accepted + 1)
    })

    it('re-AUTH timers coalesce: one AUTH after a freeze of five periods, not five', async () => {
      const env = await iamEnv('1s')
      await put('thaw/reauth.json', '{}')
      await env.get('thaw/reauth.json')
      const auths = async () => {
        const stats = (await admin.info('commandstats')) as string
        return Number(/^cmdstat_auth:calls=(\d+)/m.exec(stats)?.[1] ?? 0)
      }
      const before = await auths()
      await env.frozenWhile(5000)
      const thawed = Date.now()
      const first = await env.get('thaw/reauth.json')
      const after = await auths()
      const periodsSinceThaw = Math.floor((Date.now() - thawed) / 1000)
      suite.rows.push({
        scenario: 'IAM, re-AUTH every 1 s, frozen 5 s',
        first: first.status ?? 'failed',
        firstMs: first.ms ?? Number.NaN,
        warmMs: Number.NaN,
        s3Calls: first.s3Calls,
        errorEvents: first.errors.length,
        note: `${after - before} AUTH on thaw`,
      })
      expect(first).toMatchObject({ status: 'hit', s3Calls: 0, errors: [] })
      expect(after - before).toBeGreaterThanOrEqual(1)
      expect(after - before).toBeLessThanOrEqual(1 + periodsSinceThaw)
    })
  })
})
