// GLIDE's own IAM authentication (credentials: { username, iamConfig }) through the stand-in for
// ElastiCache's IAM check (reliability/iam-gate.ts: SigV4 signature and expiry), with static AWS
// credentials in the environment, where GLIDE's credential chain finds them.
import { GlideClient, Logger, ServiceType } from '@valkey/valkey-glide'
import {
  makeTempDir,
  makeTlsMaterial,
  type S3Server,
  startS3,
  startValkey,
  type TlsMaterial,
  type ValkeyServer,
} from '@valkey-s3-cache/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createIamAuthToken } from '../src'
import { type IamGate, startIamGate } from './reliability/iam-gate'
import { documentedAccessString } from './support/access-strings'
import { makeCache, putRaw, sleep, type TestCache, uniqueKey, untilHit } from './support/harness'

// GLIDE logs every refused connection at WARN; these tests refuse some on purpose.
Logger.setLoggerConfig('off')

const accessString = documentedAccessString('acl-glide')

const IAM = {
  userId: 'iam-user',
  cacheName: 'glide-cache',
  region: 'us-east-1',
  credentials: { accessKeyId: 'AKIDGLIDEIAM', secretAccessKey: 'glide/iam+secret' },
}
const AWS_ENV = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE'] as const

describe("GLIDE's own IAM authentication through an ElastiCache-like token check", {
  timeout: 60_000,
}, () => {
  let s3: S3Server
  let backend: ValkeyServer
  let tls: TlsMaterial
  let gate: IamGate
  const gates: IamGate[] = []
  const saved = new Map<string, string | undefined>()
  const clients: GlideClient[] = []
  const made: TestCache[] = []

  /** A client through `target`; GLIDE signs the tokens itself unless given a password. */
  const glide = async (target: IamGate = gate, password?: string) => {
    const client = await GlideClient.createClient({
      addresses: [{ host: '127.0.0.1', port: target.port }],
      useTLS: true,
      credentials: password
        ? { username: IAM.userId, password }
        : {
            username: IAM.userId,
            iamConfig: { clusterName: IAM.cacheName, service: ServiceType.Elasticache, region: IAM.region },
          },
      requestTimeout: 1000,
      advancedConfiguration: { tlsAdvancedConfiguration: { rootCertificates: tls.ca } },
    })
    clients.push(client)
    return client
  }
  const cacheOn = (client: GlideClient) => {
    const testCache = makeCache(s3, { valkey: client, timeouts: { valkey: 100 } })
    made.push(testCache)
    return testCache
  }

  beforeAll(async () => {
    for (const name of AWS_ENV) saved.set(name, process.env[name])
    delete process.env.AWS_SESSION_TOKEN
    delete process.env.AWS_PROFILE
    process.env.AWS_ACCESS_KEY_ID = IAM.credentials.accessKeyId
    process.env.AWS_SECRET_ACCESS_KEY = IAM.credentials.secretAccessKey
    ;[s3, backend] = await Promise.all([startS3(), startValkey()])
    // The gate checks the token; behind it the IAM user is nopass, with the access string for GLIDE.
    const admin = await backend.adminClient()
    await admin.call('ACL', 'SETUSER', IAM.userId, 'nopass', ...accessString.split(/\s+/))
    tls = makeTlsMaterial(makeTempDir('glide-iam'))
    gate = await startIamGate({ backend: { host: '127.0.0.1', port: backend.port }, tls, ...IAM })
    gates.push(gate)
  })
  afterAll(async () => {
    for (const testCache of made) await testCache.cache.close()
    for (const client of clients) client.close()
    for (const started of gates) await started.stop()
    await backend?.stop()
    await s3?.stop()
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
  })

  it('the cache works through GLIDE IAM: its SigV4 token is accepted, and the cache reads and writes Valkey', async () => {
    const refusedBefore = gate.refused
    const acceptedBefore = gate.accepted
    const { cache, events } = cacheOn(await glide())
    await cache.connect()
    const key = uniqueKey('glide-iam')
    await putRaw(s3, key, '{"v":1}')
    expect((await cache.get(key)).status).toBe('miss')
    expect((await cache.get(key)).status).toBe('hit')
    await cache.put(key, '{"v":2}')
    expect(await cache.getJson(key)).toEqual({ v: 2 })
    expect((await cache.get(key)).status).toBe('hit')
    expect(await cache.invalidate(key)).toBe(true)
    expect((await cache.get(key)).status).toBe('miss')
    expect(events.filter((event) => event.type === 'error')).toEqual([])
    expect(gate.accepted).toBeGreaterThan(acceptedBefore)
    expect(gate.refused).toBe(refusedBefore)
  })

  it('a token signed with another secret key is refused: the gate checks the signature GLIDE made', async () => {
    const refusedBefore = gate.refused
    const acceptedBefore = gate.accepted
    process.env.AWS_SECRET_ACCESS_KEY = 'not/the+secret'
    try {
      // GLIDE retries until its connectionTimeout: it ends with WRONGPASS, or with its timeout.
      await expect(glide()).rejects.toThrow(/WRONGPASS|timed out/)
    } finally {
      process.env.AWS_SECRET_ACCESS_KEY = IAM.credentials.secretAccessKey
    }
    expect(gate.refused).toBeGreaterThan(refusedBefore)
    expect(gate.accepted).toBe(acceptedBefore)
  })

  it("a reconnect reuses GLIDE's last token: once it expired, reads fail open until GLIDE signs a new one", async () => {
    const client = await glide()
    const testCache = cacheOn(client)
    const key = uniqueKey('glide-iam-expired')
    await putRaw(s3, key, '{"e":1}')
    await testCache.cache.get(key)
    expect((await testCache.cache.get(key)).status).toBe('hit')

    const refusedBefore = gate.refused
    gate.expireTokensSignedBefore(new Date())
    gate.dropConnections()
    const statuses: string[] = []
    for (let i = 0; i < 100 && gate.refused === refusedBefore; i++)
      statuses.push((await testCache.cache.get(key)).status)
    expect(gate.refused).toBeGreaterThan(refusedBefore)
    expect(statuses.length).toBeGreaterThan(0)
    expect(statuses.every((status) => status === 'bypass')).toBe(true)

    // A token carries its signing second: sign the new one in a later second than the expiry.
    await sleep(1000)
    await client.refreshIamToken()
    expect(await untilHit(testCache, key)).toBe('hit')
  })

  it('ElastiCache Serverless wants ResourceType=ServerlessCache in the token: GLIDE iamConfig tokens are refused, a token from createIamAuthToken({ serverless: true }) as the password, renewed with updateConnectionPassword, is accepted', async () => {
    const serverless = await startIamGate({
      backend: { host: '127.0.0.1', port: backend.port },
      tls,
      ...IAM,
      serverless: true,
    })
    gates.push(serverless)
    // GLIDE 2.5's iamConfig has no serverless option: its token lacks ResourceType=ServerlessCache.
    await expect(glide(serverless)).rejects.toThrow(/WRONGPASS|timed out/)
    expect(serverless.refused).toBeGreaterThan(0)
    expect(serverless.accepted).toBe(0)

    const token = () => createIamAuthToken({ ...IAM, serverless: true })
    const client = await glide(serverless, await token())
    const testCache = cacheOn(client)
    const key = uniqueKey('glide-serverless')
    await putRaw(s3, key, '{"s":1}')
    expect((await testCache.cache.get(key)).status).toBe('miss')
    expect((await testCache.cache.get(key)).status).toBe('hit')

    // The renewal docs/guide/glide.md shows: a fresh token for the connections GLIDE opens later.
    serverless.expireTokensSignedBefore(new Date())
    await sleep(1000) // a token carries its signing second
    await client.updateConnectionPassword(await token(), true)
    const accepted = serverless.accepted
    serverless.dropConnections()
    expect(await untilHit(testCache, key)).toBe('hit')
    expect(serverless.accepted).toBeGreaterThan(accepted)
  })
})
