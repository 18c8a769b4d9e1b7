import { createHmac, hash } from 'node:crypto'
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

const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data, 'utf8').digest()

/** `20240506T070809Z`, the SigV4 timestamp. */
function amzDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '')
}

/**
 * An ElastiCache IAM authentication token: the SigV4-presigned URL
 * `http://{cacheName}/?Action=connect&User={userId}[&ResourceType=ServerlessCache]&X-Amz-Expires=900&...`
 * (service `elasticache`) without its `http://` scheme. Valid for 15 minutes; send it as the password
 * of `AUTH {userId} {token}` over TLS.
 *
 * Signed here with `node:crypto`, following the SigV4 query-string steps (canonical request, string to
 * sign, derived key): a signing library would weigh more in a Lambda bundle than the whole cache.
 */
export async function createIamAuthToken(request: IamTokenRequest): Promise<string> {
  const source = request.credentials ?? (await defaultCredentials())
  const credentials = typeof source === 'function' ? await source() : source
  const date = amzDate(request.signingDate ?? new Date())
  const day = date.slice(0, 8)
  const scope = `${day}/${request.region}/elasticache/aws4_request`
  const query: [string, string][] = [
    ['Action', 'connect'],
    ['User', request.userId],
    ...(request.serverless ? ([['ResourceType', 'ServerlessCache']] as [string, string][]) : []),
    ['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'],
    ['X-Amz-Credential', `${credentials.accessKeyId}/${scope}`],
    ['X-Amz-Date', date],
    ['X-Amz-Expires', String(IAM_TOKEN_TTL_SECONDS)],
    ...(credentials.sessionToken
      ? ([['X-Amz-Security-Token', credentials.sessionToken]] as [string, string][])
      : []),
    ['X-Amz-SignedHeaders', 'host'],
  ]
  const encoded = query.map(([key, value]) => [uriEscape(key), uriEscape(value)] as const)
  const pairs = encoded.map(([key, value]) => `${key}=${value}`)
  // The canonical query is sorted by (encoded) name; the token keeps Action and User first.
  const canonicalQuery = [...encoded]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join('&')
  // No body: the payload hash is that of the empty string.
  const canonicalRequest = [
    'GET',
    '/',
    canonicalQuery,
    `host:${request.cacheName}`,
    '',
    'host',
    hash('sha256', ''),
  ].join('\n')
  const stringToSign = ['AWS4-HMAC-SHA256', date, scope, hash('sha256', canonicalRequest)].join('\n')
  const key = hmac(
    hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, day), request.region), 'elasticache'),
    'aws4_request',
  )
  const signature = createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex')
  return `${request.cacheName}/?${pairs.join('&')}&X-Amz-Signature=${signature}`
}
