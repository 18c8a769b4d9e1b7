import type { S3Client } from '@aws-sdk/client-s3'
import {
  CacheConfigError,
  type Duration,
  fromEnv,
  toMs,
  type ValkeyConnectionOptions,
} from '@valkey-s3-cache/core'
import { secretPassword } from './secret'

/** Everything the handler needs. `createHandler(config)` takes it; `configFromEnv()` reads it from the environment. */
export interface ApiConfig {
  /** The bucket the objects are read from. */
  bucket: string
  /** Valkey connection (options, or a URL); `undefined` uses the in-process memory store. */
  valkey?: ValkeyConnectionOptions | string | undefined
  /** A ready S3 client (tests, the local demo). Without it one is made from `s3Endpoint` and `s3ForcePathStyle`. */
  s3?: S3Client | undefined
  /** Only for S3-compatible servers (local use); on AWS leave it unset. */
  s3Endpoint?: string | undefined
  s3ForcePathStyle?: boolean | undefined
  /** How long a cached object is fresh. Default `'5m'`. */
  ttl?: Duration | undefined
  /** How long past fresh an object may be served while it is revalidated. Default `'1m'`. */
  staleTtl?: Duration | undefined
  /** How long a whole HTTP response is answered from Valkey without running the handler. Default `'30s'`. */
  httpTtl?: Duration | undefined
  /** Prefix of every Valkey key (an ACL can say `~s3c:*`). Default `'s3c:'`. */
  keyPrefix?: string | undefined
  /**
   * SHA-256 digests (64 hex digits) of the bearer tokens a request must carry (`Authorization: Bearer
   * <token>`); checked by httpCache's `authorize` on every request, hits included, else 401. Default:
   * none (no check in the function: API Gateway decides who may call).
   */
  apiTokenSha256?: readonly string[] | undefined
  /** `Access-Control-Allow-Origin`: `'*'` or one origin such as `https://app.example.com`. Default `'*'`. */
  corsOrigin?: string | undefined
  /** Publish each request's CloudWatch metrics (Powertools Metrics: one embedded-metric-format line). Default `false`. */
  emfMetrics?: boolean | undefined
  /** CloudWatch namespace of the EMF metrics. Default `'ValkeyS3Cache'`. */
  metricsNamespace?: string | undefined
  /** Powertools' service name: the `service` log field and metric dimension. Default: `AWS_LAMBDA_FUNCTION_NAME`, else `'valkey-s3-cache-api'`. */
  serviceName?: string | undefined
  /** Where the JSON lines go (each request's log line, and its metrics line with `emfMetrics`). Default: stdout (CloudWatch Logs on Lambda). */
  log?: ((line: string) => void) | undefined
}

type Env = Record<string, string | undefined>

const read = (env: Env, name: string): string | undefined => {
  const value = env[name]?.trim()
  return value === '' ? undefined : value
}

function duration(env: Env, name: string): Duration | undefined {
  const value = read(env, name)
  if (value === undefined) return undefined
  const parsed = (/^\d+$/.test(value) ? Number(value) : value) as Duration
  toMs(parsed, name) // throws CacheConfigError naming the variable
  return parsed
}

function boolean(env: Env, name: string): boolean | undefined {
  const value = read(env, name)?.toLowerCase()
  if (value === undefined) return undefined
  if (value === 'true' || value === '1') return true
  if (value === 'false' || value === '0') return false
  throw new CacheConfigError(name, `expected true or false, got ${JSON.stringify(value)}`)
}

function origin(env: Env, name: string): string | undefined {
  const value = read(env, name)
  if (value === undefined || value === '*') return value
  if (/^https?:\/\/[^/\s,]+$/.test(value)) return value
  throw new CacheConfigError(name, `expected * or one origin such as https://app.example.com, got ${value}`)
}

function sha256List(env: Env, name: string): string[] | undefined {
  const value = read(env, name)
  if (value === undefined) return undefined
  const digests = value.split(',').map((digest) => digest.trim().toLowerCase())
  for (const digest of digests) {
    if (!/^[0-9a-f]{64}$/.test(digest)) {
      throw new CacheConfigError(name, 'expected SHA-256 digests (64 hex digits each), separated by commas')
    }
  }
  return digests
}

/** `fromEnv`, plus `VALKEY_PASSWORD_SECRET_ARN`: the password read from Secrets Manager at every connection. */
function valkeyFromEnv(env: Env): ValkeyConnectionOptions | undefined {
  const options = fromEnv(env)
  const secretArn = read(env, 'VALKEY_PASSWORD_SECRET_ARN')
  if (secretArn === undefined) return options
  if (options === undefined)
    throw new CacheConfigError('VALKEY_URL', 'is required with VALKEY_PASSWORD_SECRET_ARN')
  if (options.password !== undefined || options.iam !== undefined) {
    throw new CacheConfigError(
      'VALKEY_PASSWORD_SECRET_ARN',
      'cannot be combined with VALKEY_PASSWORD or IAM auth',
    )
  }
  return { ...options, credentials: secretPassword(secretArn) }
}

/**
 * Reads the configuration from environment variables (see the README's table). Bad values throw
 * `CacheConfigError` naming the variable, so a misconfigured function fails at its cold start.
 */
export function configFromEnv(env: Env = process.env): ApiConfig {
  const bucket = read(env, 'BUCKET')
  if (bucket === undefined)
    throw new CacheConfigError('BUCKET', 'is required (the bucket to read objects from)')
  const s3Endpoint = read(env, 'S3_ENDPOINT')
  if (s3Endpoint !== undefined && !URL.canParse(s3Endpoint)) {
    throw new CacheConfigError('S3_ENDPOINT', `expected a URL, got ${s3Endpoint}`)
  }
  return {
    bucket,
    valkey: valkeyFromEnv(env),
    s3Endpoint,
    s3ForcePathStyle: boolean(env, 'S3_FORCE_PATH_STYLE'),
    ttl: duration(env, 'CACHE_TTL'),
    staleTtl: duration(env, 'CACHE_STALE_TTL'),
    httpTtl: duration(env, 'HTTP_CACHE_TTL'),
    keyPrefix: read(env, 'CACHE_KEY_PREFIX'),
    apiTokenSha256: sha256List(env, 'API_TOKEN_SHA256'),
    corsOrigin: origin(env, 'CORS_ORIGIN'),
    emfMetrics: boolean(env, 'EMF_METRICS'),
    metricsNamespace: read(env, 'METRICS_NAMESPACE'),
    serviceName: read(env, 'SERVICE_NAME') ?? read(env, 'AWS_LAMBDA_FUNCTION_NAME'),
  }
}
