import type { ConnectionOptions } from 'node:tls'
import type { Cluster, Redis } from 'iovalkey'
import type { Duration } from '../duration'

/** A connected (or connecting) iovalkey client: standalone `Redis` or `Cluster`. */
export type ValkeyClient = Redis | Cluster

/** A user name and password (or token) for Valkey `AUTH`. Without `username`, the `default` user. */
export interface ValkeyCredentials {
  username?: string | undefined
  password: string
}

/** AWS credentials as the AWS SDK resolves them (structurally the SDK's `AwsCredentialIdentity`). */
export interface AwsCredentials {
  accessKeyId: string
  secretAccessKey: string
  sessionToken?: string | undefined
  expiration?: Date | undefined
}

/** ElastiCache IAM authentication: every connection sends `AUTH userId <token>` with a fresh 15-minute token. */
export interface IamAuthOptions {
  /** ID of an IAM-enabled ElastiCache user; ElastiCache requires its user name to be the same. Required. */
  userId: string
  /** The replication group ID or serverless cache name the token is for (lowercase). Required. */
  cacheName: string
  /** AWS region of the cache. Default: `AWS_REGION`, then `AWS_DEFAULT_REGION`. */
  region?: string
  /**
   * Sign for a serverless cache (`ResourceType=ServerlessCache`). Default: `true` when the host is an
   * ElastiCache Serverless endpoint (`*.serverless.*.cache.amazonaws.com`), else `false`.
   */
  serverless?: boolean
  /**
   * AWS credentials, or a function returning them (called for every token). Default: the AWS SDK's
   * default chain (on Lambda, the function's role), loaded only when IAM is used.
   */
  credentials?: AwsCredentials | (() => Promise<AwsCredentials>)
  /**
   * How often open connections send `AUTH` with a fresh token. ElastiCache closes IAM-authenticated
   * connections 12 hours after their last `AUTH`; a frozen Lambda runs the overdue timer when it thaws.
   * Default `'1h'`.
   */
  reauthenticateEvery?: Duration
}

/**
 * How to reach Valkey or ElastiCache. Explicit options win over the parts of `url`.
 * Validated by `createValkeyClient`: a bad value throws `CacheConfigError` naming the option.
 */
export interface ValkeyConnectionOptions {
  /**
   * `valkey://[user[:password]@]host[:port][/db]`; `valkeys://` (or `rediss://`) turns TLS on, `redis://`
   * is the same as `valkey://`. User and password are percent-decoded. Default: none (then `host` is required).
   */
  url?: string
  /** Host name or IP. Default: the URL's host. */
  host?: string
  /** Default: the URL's port, else `6379`. */
  port?: number
  /** Database number, standalone only. Default: the URL's path, else `0`. */
  db?: number
  /**
   * `true`: iovalkey `Cluster`; `false`: a single `Redis` connection; `'auto'`: one `INFO cluster` at
   * creation decides (ElastiCache Serverless endpoints are always cluster). Default `'auto'`.
   */
  cluster?: boolean | 'auto'
  /**
   * `true` or Node TLS options (`ca`, `servername`, ...); certificates are verified unless you set
   * `rejectUnauthorized: false`. Default: on for `valkeys://` and `rediss://` URLs, else off.
   */
  tls?: boolean | ConnectionOptions
  /** ACL user. Default: the URL's user, else the `default` user. */
  username?: string
  /** Password of the user. Default: the URL's password, else none. */
  password?: string
  /**
   * Returns the user and password; called for every new connection, so a rotated secret (for example
   * from Secrets Manager) is picked up at the next reconnect. Concurrent calls share one promise;
   * cache the secret yourself if fetching it is slow. Default: none (use `username`/`password`).
   */
  credentials?: () => Promise<ValkeyCredentials> | ValkeyCredentials
  /** ElastiCache IAM authentication (requires TLS). Default: none. */
  iam?: IamAuthOptions
  /**
   * `'replica'` sends read-only commands (the cache's `GET`) to replicas, which may lag a write or
   * invalidation by a few milliseconds. Cluster mode only; on ElastiCache Serverless this is the
   * latency-optimized reader endpoint on port 6380 (allow it in the security group). Default `'primary'`.
   */
  readFrom?: 'primary' | 'replica'
  /** Bound on one connection attempt: credentials, TCP, TLS and `AUTH`. Default `2000` ms. */
  connectTimeout?: Duration
  /** Bound on each command; a timed-out command rejects and the cache falls back to S3. Default `250` ms. */
  commandTimeout?: Duration
  /**
   * Receives connection errors (mapped by `toValkeyError`, secrets removed), once per kind of error per
   * outage rather than once per retry. Default: none (errors are swallowed; commands still reject).
   */
  onError?: (error: Error) => void
}

/**
 * The defaults stated above, in one place, by option name (`undefined`: none, or the URL's part).
 * Its keys are the known option names: any other name is refused.
 */
export const CONNECTION_DEFAULTS = {
  url: undefined,
  host: undefined,
  port: undefined,
  db: undefined,
  cluster: 'auto',
  tls: undefined,
  username: undefined,
  password: undefined,
  credentials: undefined,
  iam: undefined,
  readFrom: 'primary',
  connectTimeout: 2000,
  commandTimeout: 250,
  onError: undefined,
} as const satisfies Record<keyof ValkeyConnectionOptions, unknown>

/** The port when neither `port` nor the URL names one. */
export const DEFAULT_PORT = 6379

/** The defaults of {@link IamAuthOptions}, by option name. */
export const IAM_DEFAULTS = {
  userId: undefined,
  cacheName: undefined,
  region: undefined,
  serverless: undefined,
  credentials: undefined,
  reauthenticateEvery: '1h',
} as const satisfies Record<keyof IamAuthOptions, unknown>
