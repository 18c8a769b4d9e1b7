import { createHash, createHmac } from 'node:crypto'
import {
  startValkey,
  startValkeyCluster,
  type ValkeyClusterServer,
  type ValkeyServer,
} from '@valkey-s3-cache/testkit'
import { Cluster, type Redis } from 'iovalkey'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createValkeyClient } from '../../src/connect/create-client'
import { createIamAuthToken } from '../../src/connect/iam'
import { clientTracker, eventually, sleep } from './helpers'

const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'FwoGZXIvYXdzEXAMPLE/token+with=chars',
}
const signingDate = new Date('2024-05-06T07:08:09Z')

const sha256 = (data: string) => createHash('sha256').update(data, 'utf8').digest('hex')
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data, 'utf8').digest()
const rfc3986 = (text: string) =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)

/** SigV4 query-string presigning written out step by step from the AWS documentation. */
function expectedToken(userId: string, cacheName: string, region: string, serverless: boolean): string {
  const amzDate = '20240506T070809Z'
  const day = '20240506'
  const scope = `${day}/${region}/elasticache/aws4_request`
  const query: Record<string, string> = {
    Action: 'connect',
    User: userId,
    ...(serverless ? { ResourceType: 'ServerlessCache' } : {}),
    'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
    'X-Amz-Credential': `${credentials.accessKeyId}/${scope}`,
    'X-Amz-Date': amzDate,
    'X-Amz-Expires': '900',
    'X-Amz-Security-Token': credentials.sessionToken,
    'X-Amz-SignedHeaders': 'host',
  }
  const canonicalQuery = Object.keys(query)
    .map((key) => [rfc3986(key), rfc3986(query[key] as string)])
    .sort(([a], [b]) => ((a as string) < (b as string) ? -1 : 1))
    .map(([key, value]) => `${key}=${value}`)
    .join('&')
  const canonicalRequest = ['GET', '/', canonicalQuery, `host:${cacheName}`, '', 'host', sha256('')].join(
    '\n',
  )
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n')
  const signingKey = hmac(
    hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, day), region), 'elasticache'),
    'aws4_request',
  )
  const signature = createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('hex')
  return `${cacheName}/?${canonicalQuery}&X-Amz-Signature=${signature}`
}

/** The token's query as a map, so that parameter order does not matter. */
function parts(token: string): { prefix: string; query: Record<string, string> } {
  const [prefix, query] = token.split('?') as [string, string]
  return { prefix, query: Object.fromEntries(new URLSearchParams(query)) }
}

/** The same token from the AWS SDK's own signer (a devDependency): the signing in iam.ts must agree with it. */
async function sdkToken(request: {
  userId: string
  cacheName: string
  region: string
  serverless: boolean
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }
}): Promise<string> {
  const { SignatureV4 } = await import('@smithy/signature-v4')
  const signer = new SignatureV4({
    service: 'elasticache',
    region: request.region,
    credentials: request.credentials,
    sha256: NodeSha256,
  })
  const query: Record<string, string> = { Action: 'connect', User: request.userId }
  if (request.serverless) query.ResourceType = 'ServerlessCache'
  const signed = await signer.presign(
    {
      method: 'GET',
      protocol: 'http:',
      hostname: request.cacheName,
      path: '/',
      query,
      headers: { host: request.cacheName },
    },
    { expiresIn: 900, signingDate },
  )
  const pairs = Object.entries(signed.query ?? {}).map(
    ([key, value]) => `${rfc3986(key)}=${rfc3986(String(value))}`,
  )
  return `${request.cacheName}/?${pairs.join('&')}`
}

/** SHA-256 and HMAC from node:crypto in the shape the SDK signer takes. */
type SourceData = string | ArrayBuffer | ArrayBufferView
const bytes = (data: SourceData) =>
  typeof data === 'string'
    ? data
    : ArrayBuffer.isView(data)
      ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      : new Uint8Array(data)

class NodeSha256 {
  private readonly hash
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret))
  }
  update(data: SourceData): void {
    this.hash.update(bytes(data))
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest())
  }
}

describe('createIamAuthToken', () => {
  it.each([
    { userId: 'app-user', cacheName: 'my-cache', region: 'eu-west-1', serverless: true, credentials },
    { userId: 'app-user', cacheName: 'my-cache', region: 'us-east-1', serverless: false, credentials },
    {
      userId: 'user with spaces+plus/slash*star',
      cacheName: 'cache-01',
      region: 'ap-southeast-2',
      serverless: true,
      credentials: { accessKeyId: 'AKIDNOTOKEN', secretAccessKey: 'secret/with+chars=' },
    },
    {
      userId: 'ünïcödé-user',
      cacheName: 'replication-group-7',
      region: 'eu-central-1',
      serverless: false,
      credentials,
    },
  ])('signs as the AWS SDK signer does ($userId, $region)', async (request) => {
    const ours = await createIamAuthToken({ ...request, signingDate })
    expect(parts(ours)).toEqual(parts(await sdkToken(request)))
  })

  it.each([false, true])('matches an independent SigV4 computation (serverless: %s)', async (serverless) => {
    const token = await createIamAuthToken({
      userId: 'app-user',
      cacheName: 'my-cache',
      region: 'eu-west-1',
      serverless,
      credentials,
      signingDate,
    })
    expect(token.startsWith('my-cache/?Action=connect&User=app-user&')).toBe(true)
    expect(token).not.toMatch(/^http/)
    expect(token).toContain('X-Amz-Expires=900')
    expect(parts(token)).toEqual(parts(expectedToken('app-user', 'my-cache', 'eu-west-1', serverless)))
  })

  it('is deterministic for a fixed clock and credentials, and changes with the clock', async () => {
    const request = { userId: 'u', cacheName: 'c', region: 'us-east-1', credentials, signingDate }
    expect(await createIamAuthToken(request)).toBe(await createIamAuthToken(request))
    const later = await createIamAuthToken({ ...request, signingDate: new Date('2024-05-06T07:08:10Z') })
    expect(later).not.toBe(await createIamAuthToken(request))
  })

  it('uses the default credential chain when no credentials are given (here: environment variables)', async () => {
    const saved = { ...process.env }
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKIDFROMENV', AWS_SECRET_ACCESS_KEY: 'secret-from-env' })
    delete process.env.AWS_SESSION_TOKEN
    delete process.env.AWS_PROFILE
    try {
      const token = await createIamAuthToken({ userId: 'u', cacheName: 'c', region: 'us-east-1' })
      expect(parts(token).query['X-Amz-Credential']).toMatch(/^AKIDFROMENV\//)
    } finally {
      process.env = saved
    }
  })
})

describe('IAM connections', () => {
  let server: ValkeyServer
  let admin: Redis
  const clients = clientTracker()
  beforeAll(async () => {
    server = await startValkey({ tls: true, acl: true })
    admin = await server.adminClient()
    // A real ElastiCache checks the token; a nopass user accepts any, which is enough to test the client.
    await admin.call('ACL', 'SETUSER', 'iam-user', 'on', 'nopass', '~s3c:*', 'resetchannels', '+@all')
  })
  afterAll(async () => {
    clients.closeAll()
    await server.stop()
  })

  const authCalls = async () =>
    Number(/cmdstat_auth:calls=(\d+)/.exec(await admin.info('commandstats'))?.[1] ?? 0)

  it('authenticates as the IAM user with a token and re-authenticates on a timer', async () => {
    const client = clients.track(
      await createValkeyClient({
        url: `valkeys://127.0.0.1:${server.port}`,
        tls: { ca: server.tls?.ca },
        iam: {
          userId: 'iam-user',
          cacheName: 'My-Cache',
          region: 'us-east-1',
          credentials,
          reauthenticateEvery: 200,
        },
      }),
    )
    expect((await client.call('CLIENT', 'INFO')) as string).toMatch(/user=iam-user/)
    const before = await authCalls()
    await sleep(700)
    await eventually(async () => expect(await authCalls()).toBeGreaterThanOrEqual(before + 2))
    await client.set('s3c:iam', 'ok')
    expect(await client.get('s3c:iam')).toBe('ok')
  })
})

describe('IAM connections to a TLS cluster (the ElastiCache Serverless shape)', () => {
  let cluster: ValkeyClusterServer
  const admins: Redis[] = []
  beforeAll(async () => {
    cluster = await startValkeyCluster({ primaries: 3, replicasPerPrimary: 1, acl: true, tls: true })
    for (const port of cluster.ports) {
      const admin = await cluster.adminClient(port)
      admins.push(admin)
      await admin.call('ACL', 'SETUSER', 'iam-user', 'on', 'nopass', '~s3c:*', 'resetchannels', '+@all')
    }
  })
  afterAll(() => cluster.stop())

  const authCalls = async () => {
    const counts = await Promise.all(
      admins.map(async (admin) =>
        Number(/cmdstat_auth:calls=(\d+)/.exec(await admin.info('commandstats'))?.[1] ?? 0),
      ),
    )
    return counts.reduce((a, b) => a + b, 0)
  }

  it('authenticates every node connection with a token and re-authenticates them all', async () => {
    const client = await createValkeyClient({
      url: `valkeys://127.0.0.1:${cluster.ports[0]}`,
      tls: { ca: cluster.tls?.ca },
      iam: {
        userId: 'iam-user',
        cacheName: 'my-cache',
        region: 'us-east-1',
        credentials,
        reauthenticateEvery: 300,
      },
    })
    try {
      expect(client).toBeInstanceOf(Cluster)
      for (let i = 0; i < 12; i++) await client.set(`s3c:{n${i}}`, String(i))
      const nodes = (client as Cluster).nodes('all').filter((node) => node.status === 'ready').length
      expect(nodes).toBeGreaterThanOrEqual(3)
      const before = await authCalls()
      await eventually(async () => expect(await authCalls()).toBeGreaterThanOrEqual(before + 2 * nodes))
      for (let i = 0; i < 12; i++) expect(await client.get(`s3c:{n${i}}`)).toBe(String(i))
    } finally {
      client.disconnect()
    }
  })
})
