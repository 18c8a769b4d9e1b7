import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto'
import type { AwsCredentials } from './options'

/** Lifetime of an ElastiCache IAM token (`X-Amz-Expires`): ElastiCache accepts at most 15 minutes. */
export const IAM_TOKEN_TTL_SECONDS = 900

/** Input of {@link createIamAuthToken}. */
export interface IamTokenRequest {
  /** ElastiCache user ID (= its user name). */
  userId: string
  /** Replication group ID or serverless cache name. */
  cacheName: string
  region: string
  /** Adds `ResourceType=ServerlessCache`. Default `false`. */
  serverless?: boolean | undefined
  /** Default: the AWS SDK's default credential chain. */
  credentials?: AwsCredentials | (() => Promise<AwsCredentials>) | undefined
  /** Signing time. Default: now. */
  signingDate?: Date | undefined
}

type SourceData = string | ArrayBuffer | ArrayBufferView

function toBuffer(data: SourceData): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8')
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  return Buffer.from(data)
}

/** SHA-256 and HMAC-SHA-256 from node:crypto in the shape the Smithy signer expects (no extra dependency). */
class Sha256 {
  private readonly hash: Hash | Hmac

  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(secret))
  }

  update(data: SourceData): void {
    this.hash.update(toBuffer(data))
  }

  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest())
  }
}

// Loaded on first use only: the credential chain is large, and a cold start without IAM should not pay for it.
let defaultChain: Promise<() => Promise<AwsCredentials>> | undefined

function defaultCredentials(): Promise<() => Promise<AwsCredentials>> {
  defaultChain ??= import('@aws-sdk/credential-provider-node').then(({ defaultProvider }) =>
    defaultProvider(),
  )
  return defaultChain
}

/** RFC 3986 escaping, as SigV4 canonicalizes query strings. */
function uriEscape(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}

/**
 * An ElastiCache IAM authentication token: the SigV4-presigned URL
 * `http://{cacheName}/?Action=connect&User={userId}[&ResourceType=ServerlessCache]&X-Amz-Expires=900&...`
 * (service `elasticache`) without its `http://` scheme. Valid for 15 minutes; send it as the password
 * of `AUTH {userId} {token}` over TLS.
 */
export async function createIamAuthToken(request: IamTokenRequest): Promise<string> {
  const credentials = request.credentials ?? (await defaultCredentials())
  // Loaded on first use: caches without IAM auth never pay for the signer at cold start.
  const { SignatureV4 } = await import('@smithy/signature-v4')
  const signer = new SignatureV4({
    service: 'elasticache',
    region: request.region,
    credentials,
    sha256: Sha256,
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
    {
      expiresIn: IAM_TOKEN_TTL_SECONDS,
      ...(request.signingDate ? { signingDate: request.signingDate } : {}),
    },
  )
  const pairs = Object.entries(signed.query ?? {}).map(
    ([key, value]) => `${uriEscape(key)}=${uriEscape(String(value))}`,
  )
  return `${request.cacheName}/?${pairs.join('&')}`
}
