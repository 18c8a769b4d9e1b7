import { S3Client } from '@aws-sdk/client-s3'
import { createS3Cache } from '../cache'
import type { S3Cache } from '../cache-api'
import { createValkeyClient } from '../connect/create-client'
import { toValkeyError } from '../connect/errors'
import { fromEnv } from '../connect/from-env'
import type { ValkeyClient, ValkeyConnectionOptions } from '../connect/options'
import { resolveConnection } from '../connect/resolve'
import { withDeadline } from '../deadline'
import { ValkeyConnectionError } from '../errors'
import type { CacheEvent } from '../events'
import { resolveKeyPrefix } from '../options'
import { UsageError } from './args'
import type { CacheFlags } from './cache-flags'

export type Env = Record<string, string | undefined>

/** A Lambda wants 250 ms per command; an operator's tool can wait longer for SCAN and MEMORY USAGE. */
const CLI_COMMAND_TIMEOUT_MS = 2000

export interface Connection {
  client: ValkeyClient
  keyPrefix: string
  /** `host:port`, for messages (never the URL: it may hold a password). */
  endpoint: string
  commandTimeoutMs: number
  close(): Promise<void>
}

/** Reads `fromEnv`'s variables plus `VALKEY_KEY_PREFIX`; a missing or bad one is a {@link UsageError}. */
export function connectionSettings(env: Env): { options: ValkeyConnectionOptions; keyPrefix: string } {
  const keyPrefix = resolveKeyPrefix(env.VALKEY_KEY_PREFIX?.trim() || undefined, 'VALKEY_KEY_PREFIX')
  const options = fromEnv(env)
  if (options === undefined)
    throw new UsageError('VALKEY_URL is not set (for example VALKEY_URL=valkeys://my-cache.example.com:6379)')
  return { options: { commandTimeout: CLI_COMMAND_TIMEOUT_MS, ...options }, keyPrefix }
}

/**
 * Connects and proves it with a PING, all within connect timeout plus command timeout: an unreachable,
 * silent or refusing server fails here, in seconds, with a message naming host and port only.
 */
export async function connect(env: Env): Promise<Connection> {
  const { options, keyPrefix } = connectionSettings(env)
  const resolved = resolveConnection(options)
  const endpoint = `${resolved.host}:${resolved.port}`
  const deadlineMs = resolved.connectTimeoutMs + resolved.commandTimeoutMs
  const failure = (reason: string) => `cannot use Valkey at ${endpoint}: ${reason}`
  let client: ValkeyClient | undefined
  try {
    client = await withDeadline(
      deadlineMs,
      async (signal) => {
        const created = await createValkeyClient(options)
        // Too late: nobody will use or close it.
        if (signal.aborted) created.disconnect()
        return created
      },
      () => new ValkeyConnectionError(failure(`no answer within ${deadlineMs} ms`)),
    )
    const ready = client
    await withDeadline(
      deadlineMs,
      () => ready.ping(),
      () => new ValkeyConnectionError(failure(`no answer to PING within ${deadlineMs} ms`)),
    )
  } catch (error) {
    client?.disconnect()
    const mapped = toValkeyError(error, resolved.username)
    throw mapped.message.includes(endpoint)
      ? mapped
      : new ValkeyConnectionError(failure(mapped.message), { cause: mapped })
  }
  const connected = client
  return {
    client: connected,
    keyPrefix,
    endpoint,
    commandTimeoutMs: resolved.commandTimeoutMs,
    async close() {
      await connected.quit().catch(() => connected.disconnect())
    },
  }
}

/**
 * S3 from the SDK's default configuration (region, credentials, `AWS_ENDPOINT_URL_S3`), plus
 * `S3_FORCE_PATH_STYLE=true` for local S3 servers that do not serve virtual-host buckets.
 */
export function s3Client(env: Env): S3Client {
  return new S3Client({ forcePathStyle: env.S3_FORCE_PATH_STYLE?.trim().toLowerCase() === 'true' })
}

/**
 * A cache over the CLI's connection, bounded as an operator's tool is: seconds, not Lambda milliseconds.
 * `flags`: the options a command was given to store entries as the application does (`warm --ttl`);
 * `onEvent`: every event, errors included.
 */
export function cliCache(
  connection: Connection,
  s3: S3Client,
  bucket: string,
  onError: (error: Error) => void,
  { flags, onEvent }: { flags?: CacheFlags; onEvent?: (event: CacheEvent) => void } = {},
): S3Cache {
  return createS3Cache({
    s3,
    bucket,
    valkey: connection.client,
    keyPrefix: connection.keyPrefix,
    ...flags,
    timeouts: { valkey: connection.commandTimeoutMs, s3: '30s', revalidate: '30s' },
    onEvent: (event) => {
      if (event.type === 'error') onError(event.error)
      onEvent?.(event)
    },
  })
}

/** Where a command reads its environment and writes its output (the process's, or a test's). */
export interface CliIo {
  env: Env
  out(text: string): void
  err(text: string): void
  /** Whether stderr is a terminal: then progress is a bar redrawn in place. */
  stderrIsTTY: boolean
}
