import { readFileSync } from 'node:fs'
import { type Duration, MAX_TIMER_MS, toMs } from '../duration'
import { CacheConfigError } from '../errors'
import type { ValkeyConnectionOptions } from './options'
import { parseValkeyUrl } from './url'

type Env = Record<string, string | undefined>

function read(env: Env, name: string): string | undefined {
  const value = env[name]?.trim()
  return value === '' ? undefined : value
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[]): T | undefined {
  const value = read(env, name)?.toLowerCase()
  if (value === undefined) return undefined
  if ((allowed as readonly string[]).includes(value)) return value as T
  throw new CacheConfigError(name, `expected one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`)
}

function duration(env: Env, name: string): number | undefined {
  const value = read(env, name)
  return value === undefined
    ? undefined
    : toMs((/^\d+$/.test(value) ? Number(value) : value) as Duration, name, MAX_TIMER_MS)
}

/** PEM text as is; anything else is a file path (for example a CA bundle shipped in the Lambda package). */
function certificate(env: Env, name: string): string | undefined {
  const value = env[name]
  if (value === undefined || value.trim() === '') return undefined
  if (value.includes('-----BEGIN')) return value.replace(/\\n/g, '\n')
  try {
    return readFileSync(value.trim(), 'utf8')
  } catch (error) {
    throw new CacheConfigError(name, `expected PEM text or a readable file, could not read ${value.trim()}`, {
      cause: error,
    })
  }
}

/**
 * Connection options from environment variables, or `undefined` when `VALKEY_URL` is not set (outside
 * Lambda the cache then uses its in-process store; inside Lambda `createS3Cache` refuses that). A
 * `VALKEY_URL` that is set but blank, and other bad values, throw `CacheConfigError` naming the variable.
 * Pass the result to `createS3Cache({ valkey })` or `createValkeyClient`.
 *
 * | Variable | Meaning |
 * | --- | --- |
 * | `VALKEY_URL` | `valkey://`, `valkeys://` (TLS), `redis://` or `rediss://` URL, with user and password percent-encoded |
 * | `VALKEY_CLUSTER` | `true`, `false` or `auto` (default `auto`) |
 * | `VALKEY_USERNAME` | ACL user (overrides the URL's) |
 * | `VALKEY_PASSWORD` | its password (overrides the URL's) |
 * | `VALKEY_TLS_CA` | CA certificate as PEM text (`\n` escapes allowed) or a file path; turns TLS on |
 * | `VALKEY_IAM_USER_ID` | IAM authentication as this ElastiCache user (needs `VALKEY_CACHE_NAME`) |
 * | `VALKEY_CACHE_NAME` | replication group ID or serverless cache name, for IAM tokens |
 * | `VALKEY_SERVERLESS` | `true`/`false`: sign IAM tokens for a serverless cache (default: from the host name) |
 * | `AWS_REGION` | region for IAM tokens (set by Lambda) |
 * | `VALKEY_READ_FROM` | `primary` or `replica` (default `primary`) |
 * | `VALKEY_CONNECT_TIMEOUT` | ms or a duration such as `2s` (default 2000 ms) |
 * | `VALKEY_COMMAND_TIMEOUT` | ms or a duration such as `250ms` (default 250 ms) |
 */
export function fromEnv(
  env: Record<string, string | undefined> = process.env,
): ValkeyConnectionOptions | undefined {
  const userId = read(env, 'VALKEY_IAM_USER_ID')
  const url = read(env, 'VALKEY_URL')
  // Set but blank is a deployment mistake (an empty stack output, a typo'd reference), not a choice.
  if (url === undefined && env.VALKEY_URL !== undefined)
    throw new CacheConfigError('VALKEY_URL', 'is set but empty: give the cache endpoint URL, or unset it')
  if (url === undefined) {
    if (userId !== undefined)
      throw new CacheConfigError('VALKEY_URL', 'required when VALKEY_IAM_USER_ID is set')
    return undefined
  }
  const parsed = parseValkeyUrl(url, 'VALKEY_URL')
  const options: ValkeyConnectionOptions = { url }
  const cluster = oneOf(env, 'VALKEY_CLUSTER', ['true', 'false', 'auto'] as const)
  if (cluster !== undefined) options.cluster = cluster === 'auto' ? 'auto' : cluster === 'true'
  const username = read(env, 'VALKEY_USERNAME')
  if (username !== undefined) options.username = username
  const password = env.VALKEY_PASSWORD
  if (password !== undefined && password !== '') options.password = password
  const ca = certificate(env, 'VALKEY_TLS_CA')
  if (ca !== undefined) options.tls = { ca }
  const readFrom = oneOf(env, 'VALKEY_READ_FROM', ['primary', 'replica'] as const)
  if (readFrom !== undefined) options.readFrom = readFrom
  const connectTimeout = duration(env, 'VALKEY_CONNECT_TIMEOUT')
  if (connectTimeout !== undefined) options.connectTimeout = connectTimeout
  const commandTimeout = duration(env, 'VALKEY_COMMAND_TIMEOUT')
  if (commandTimeout !== undefined) options.commandTimeout = commandTimeout

  if (userId !== undefined) {
    const cacheName = read(env, 'VALKEY_CACHE_NAME')
    if (cacheName === undefined)
      throw new CacheConfigError('VALKEY_CACHE_NAME', 'required when VALKEY_IAM_USER_ID is set')
    const region = read(env, 'AWS_REGION') ?? read(env, 'AWS_DEFAULT_REGION')
    if (region === undefined)
      throw new CacheConfigError('AWS_REGION', 'required when VALKEY_IAM_USER_ID is set')
    if (password !== undefined && password !== '') {
      throw new CacheConfigError(
        'VALKEY_PASSWORD',
        'must not be set with VALKEY_IAM_USER_ID (the token is the password)',
      )
    }
    if (parsed.password !== undefined)
      throw new CacheConfigError('VALKEY_URL', 'must not contain a password with IAM')
    const serverless = oneOf(env, 'VALKEY_SERVERLESS', ['true', 'false'] as const)
    options.iam = { userId, cacheName, region, ...(serverless ? { serverless: serverless === 'true' } : {}) }
    // IAM needs TLS; a valkey:// URL for an IAM cache is a mistake the user would rather hear about now.
    if (!parsed.tls && options.tls === undefined) {
      throw new CacheConfigError(
        'VALKEY_URL',
        'IAM authentication requires TLS: use a valkeys:// URL or set VALKEY_TLS_CA',
      )
    }
  }
  return options
}
