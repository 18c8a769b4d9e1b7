import type { ConnectionOptions } from 'node:tls'
import { MAX_TIMER_MS, positiveMs } from '../duration'
import { CacheConfigError } from '../errors'
import { readOptions } from '../option-reader'
import { type CredentialSource, credentialSource } from './credentials'
import { rememberSecret } from './errors'
import { createIamAuthToken } from './iam'
import {
  CONNECTION_DEFAULTS,
  DEFAULT_PORT,
  IAM_DEFAULTS,
  type IamAuthOptions,
  type ValkeyConnectionOptions,
} from './options'
import { parseValkeyUrl } from './url'

/** Validated connection settings, every default applied. */
export interface ResolvedConnection {
  host: string
  port: number
  db: number
  tls: ConnectionOptions | undefined
  cluster: boolean | 'auto'
  readFrom: 'primary' | 'replica'
  connectTimeoutMs: number
  commandTimeoutMs: number
  /** The user, for error messages. */
  username: string | undefined
  /** A fixed password, sent by iovalkey's own `AUTH`. */
  password: string | undefined
  /** Fresh credentials for every connection (`credentials` or `iam`); then `password` is unset. */
  source: CredentialSource | undefined
  /** IAM only: how often open connections re-`AUTH`. */
  reauthenticateMs: number | undefined
  onError: ((error: Error) => void) | undefined
}

const SERVERLESS_HOST = /\.serverless\.[a-z0-9-]+\.cache\.amazonaws\.com(\.cn)?$/i
const TWELVE_HOURS_MS = 12 * 3_600_000

/** Whether `host` is an ElastiCache Serverless endpoint (always cluster mode, reader on port 6380). */
export function isServerlessHost(host: string): boolean {
  return SERVERLESS_HOST.test(host)
}

function fail(option: string, message: string): never {
  throw new CacheConfigError(option, message)
}

function optionalString(value: unknown, option: string): string | undefined {
  if (value === undefined) return undefined
  return typeof value === 'string' && value !== '' ? value : fail(option, 'expected a non-empty string')
}

function resolveTls(value: unknown, fromUrl: boolean): ConnectionOptions | undefined {
  if (value === false && fromUrl) fail('tls', 'false contradicts the valkeys:// or rediss:// URL')
  if (value === true || (value === undefined && fromUrl)) return {}
  if (value === undefined || value === false) return undefined
  return typeof value === 'object' && value !== null
    ? { ...(value as ConnectionOptions) }
    : fail('tls', 'expected true, false or Node TLS options')
}

function resolveIam(
  given: IamAuthOptions,
  host: string,
): { source: CredentialSource; reauthenticateMs: number } {
  if (typeof given !== 'object' || given === null) fail('iam', 'expected { userId, cacheName, region? }')
  const iam = readOptions(given, IAM_DEFAULTS, { path: 'iam' })
  const userId = optionalString(iam.userId, 'iam.userId') ?? fail('iam.userId', 'required')
  // ElastiCache stores cache IDs in lowercase and signs against that name.
  const cacheName = (
    optionalString(iam.cacheName, 'iam.cacheName') ?? fail('iam.cacheName', 'required')
  ).toLowerCase()
  const region =
    optionalString(iam.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION, 'iam.region') ??
    fail('iam.region', 'required (or set AWS_REGION)')
  if (iam.serverless !== undefined && typeof iam.serverless !== 'boolean')
    fail('iam.serverless', 'expected a boolean')
  const serverless = iam.serverless ?? isServerlessHost(host)
  const { credentials } = iam
  const validCredentials =
    credentials === undefined ||
    typeof credentials === 'function' ||
    (typeof credentials?.accessKeyId === 'string' && typeof credentials.secretAccessKey === 'string')
  if (!validCredentials)
    fail('iam.credentials', 'expected { accessKeyId, secretAccessKey, sessionToken? } or a function')
  const reauthenticateMs = positiveMs(iam.reauthenticateEvery, 'iam.reauthenticateEvery', TWELVE_HOURS_MS - 1)
  const token = async () => ({
    username: userId,
    password: await createIamAuthToken({ userId, cacheName, region, serverless, credentials }),
  })
  return { source: credentialSource(token, 'iam'), reauthenticateMs }
}

/** Validates options (or a URL) once, at creation; a bad value throws {@link CacheConfigError} naming the option. */
export function resolveConnection(input: ValkeyConnectionOptions | string): ResolvedConnection {
  const given: ValkeyConnectionOptions = typeof input === 'string' ? { url: input } : input
  if (typeof given !== 'object' || given === null)
    fail('valkey', 'expected a URL string or connection options')
  const options = readOptions(given, CONNECTION_DEFAULTS)
  if (options.url !== undefined && typeof options.url !== 'string') fail('url', 'expected a string')
  const url = options.url === undefined ? undefined : parseValkeyUrl(options.url)
  const host = optionalString(options.host, 'host') ?? url?.host ?? fail('host', 'set url or host')
  const port = options.port ?? url?.port ?? DEFAULT_PORT
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    fail('port', `expected an integer from 1 to 65535, got ${port}`)
  const db = options.db ?? url?.db ?? 0
  if (!Number.isInteger(db) || db < 0) fail('db', `expected an integer >= 0, got ${db}`)
  const tls = resolveTls(options.tls, url?.tls ?? false)

  let cluster = options.cluster
  if (cluster !== true && cluster !== false && cluster !== 'auto')
    fail('cluster', "expected true, false or 'auto'")
  if (cluster === 'auto' && isServerlessHost(host)) cluster = true
  if (cluster === true && db !== 0) fail('db', 'cluster mode has only database 0')
  const readFrom = options.readFrom
  if (readFrom !== 'primary' && readFrom !== 'replica') fail('readFrom', "expected 'primary' or 'replica'")
  if (readFrom === 'replica' && cluster === false)
    fail('readFrom', "'replica' needs cluster mode (a cluster or Serverless cache)")

  const username = optionalString(options.username, 'username') ?? url?.username
  const password = optionalString(options.password, 'password') ?? url?.password
  if (options.credentials !== undefined && typeof options.credentials !== 'function')
    fail('credentials', 'expected a function')
  if (options.onError !== undefined && typeof options.onError !== 'function')
    fail('onError', 'expected a function')
  if (options.credentials && password !== undefined)
    fail('credentials', 'set either password or credentials, not both')
  if (username !== undefined && password === undefined && !options.credentials && options.iam === undefined) {
    fail('password', `required with username "${username}" (or use credentials or iam)`)
  }

  let source = options.credentials ? credentialSource(options.credentials, 'credentials') : undefined
  let reauthenticateMs: number | undefined
  let user = username
  if (options.iam !== undefined) {
    if (password !== undefined || options.credentials)
      fail('iam', 'set either iam or password/credentials, not both')
    if (!tls) fail('tls', 'ElastiCache IAM authentication requires TLS: use a valkeys:// URL or tls: true')
    ;({ source, reauthenticateMs } = resolveIam(options.iam, host))
    if (username !== undefined && username !== options.iam.userId)
      fail('username', 'must equal iam.userId (or be left out)')
    user = options.iam.userId
  }
  rememberSecret(password)
  return {
    host,
    port,
    db,
    tls,
    cluster,
    readFrom,
    connectTimeoutMs: positiveMs(options.connectTimeout, 'connectTimeout', MAX_TIMER_MS),
    commandTimeoutMs: positiveMs(options.commandTimeout, 'commandTimeout', MAX_TIMER_MS),
    username: user,
    password: source ? undefined : password,
    source,
    reauthenticateMs,
    onError: options.onError,
  }
}
