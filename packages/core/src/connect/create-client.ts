import { Cluster, type ClusterOptions, Redis } from 'iovalkey'
import { withDeadline } from '../deadline'
import { CacheConfigError, ValkeyConnectionError } from '../errors'
import { credentialConnector } from './connector'
import type { ValkeyClient, ValkeyConnectionOptions } from './options'
import { type ResolvedConnection, resolveConnection } from './resolve'
import { errorMapper, supervise } from './supervise'

const MAX_RECONNECT_DELAY_MS = 2000
const FIRST_RECONNECT_JITTER_MS = 10

/**
 * The first attempt after a dropped connection goes at once, with a few ms of jitter so that a fleet
 * does not reconnect in the same millisecond: a thawed Lambda's request is waiting on it. Then
 * exponential backoff from 50 ms to 2 s with jitter, and never `null`: iovalkey keeps reconnecting for
 * as long as the client lives, so the cache recovers by itself after an outage.
 */
export function reconnectDelay(attempt: number): number {
  if (attempt <= 1) return Math.round(Math.random() * FIRST_RECONNECT_JITTER_MS)
  const capped = Math.min(MAX_RECONNECT_DELAY_MS, 50 * 2 ** Math.min(attempt - 2, 10))
  return Math.round(capped / 2 + (Math.random() * capped) / 2)
}

/** Fixed credentials go to iovalkey's own AUTH; fetched ones through the connector, at every connection. */
function authOptions(resolved: ResolvedConnection): NonNullable<ClusterOptions['redisOptions']> {
  const { source, username, password } = resolved
  if (!source) return password === undefined ? {} : { username, password }
  return {
    Connector: credentialConnector(async () => {
      const fresh = await source()
      return { username: fresh.username ?? username, password: fresh.password }
    }),
  }
}

/** How a client is built beyond its connection options. */
interface ClientShape {
  /**
   * iovalkey's own timer on every command. The cache bounds its commands itself with one shared timer
   * (`GuardedStore`), so its clients go without; clients handed to users keep it.
   */
  commandTimers: boolean
}

/** Options shared by a standalone client and every cluster node connection. */
function connectionOptions(
  resolved: ResolvedConnection,
  shape: ClientShape,
): NonNullable<ClusterOptions['redisOptions']> {
  return {
    connectTimeout: resolved.connectTimeoutMs,
    ...(shape.commandTimers ? { commandTimeout: resolved.commandTimeoutMs } : {}),
    // Fail commands when their connection drops instead of replaying them later: the cache has moved on.
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    ...(resolved.tls ? { tls: resolved.tls } : {}),
    ...authOptions(resolved),
  }
}

function createStandalone(resolved: ResolvedConnection, shape: ClientShape): Redis {
  return new Redis({
    host: resolved.host,
    port: resolved.port,
    db: resolved.db,
    ...connectionOptions(resolved, shape),
    retryStrategy: reconnectDelay,
    // Commands wait for a connection being (re-)established; supervise turns this off during an outage.
    enableOfflineQueue: true,
  })
}

function createCluster(resolved: ResolvedConnection, shape: ClientShape): Cluster {
  return new Cluster([{ host: resolved.host, port: resolved.port }], {
    // Keep host names: ElastiCache TLS certificates name hosts, not IPs.
    dnsLookup: (address, callback) => callback(null, address),
    scaleReads: resolved.readFrom === 'replica' ? 'slave' : 'master',
    clusterRetryStrategy: reconnectDelay,
    // A command whose node connection closed under it (a thawed Lambda writing to a socket the server
    // closed while it was frozen) goes again on a new connection after this, not iovalkey's 100 ms.
    retryDelayOnFailover: 10,
    enableOfflineQueue: true,
    slotsRefreshTimeout: resolved.connectTimeoutMs + resolved.commandTimeoutMs,
    redisOptions: connectionOptions(resolved, shape),
  })
}

/**
 * Resolves when `client` is ready (a cluster: its slots are known), at once if it is; rejects with its
 * next error, mapped by `mapError`, or when it is not ready within `ms`.
 */
export function untilReady(
  client: ValkeyClient,
  ms: number,
  mapError: (error: unknown) => Error,
  where = 'Valkey',
): Promise<void> {
  if (client.status === 'ready') return Promise.resolve()
  return withDeadline(
    ms,
    (signal) =>
      new Promise<void>((resolve, reject) => {
        const stop = () => {
          client.off('ready', onReady)
          client.off('error', onError)
          client.off('end', onEnd)
        }
        const onReady = () => {
          stop()
          resolve()
        }
        const onError = (error: unknown) => {
          stop()
          reject(mapError(error))
        }
        const onEnd = () => onError(new Error('Connection is closed.'))
        client.once('ready', onReady)
        client.on('error', onError)
        client.once('end', onEnd)
        signal.addEventListener('abort', stop)
      }),
    () => new ValkeyConnectionError(`${where} was not ready within ${ms} ms`),
  )
}

/** {@link untilReady} within the bounds of a connection's options: connect, then two commands (AUTH, INFO). */
export function connectionReady(client: ValkeyClient, resolved: ResolvedConnection): Promise<void> {
  const ms = resolved.connectTimeoutMs + 2 * resolved.commandTimeoutMs
  const where = `Valkey at ${resolved.host}:${resolved.port}`
  return untilReady(
    client,
    ms,
    errorMapper(resolved, () => false),
    where,
  )
}

/** The one command of `cluster: 'auto'`: `INFO cluster` on a first connection. */
async function isClusterMode(probe: Redis, resolved: ResolvedConnection): Promise<boolean> {
  await connectionReady(probe, resolved)
  try {
    // Bounded here as well: the probe may have no per-command timer (see ClientShape).
    const info = await withDeadline(
      resolved.commandTimeoutMs,
      () => probe.info('cluster'),
      () => new ValkeyConnectionError(`INFO cluster got no answer within ${resolved.commandTimeoutMs} ms`),
    )
    return /^cluster_enabled:1\s*$/m.test(info)
  } catch (error) {
    throw errorMapper(resolved, () => true)(error)
  }
}

/**
 * Creates the iovalkey client for a URL or {@link ValkeyConnectionOptions}, tuned for Lambda: bounded
 * connect and command timeouts, commands that wait for a reconnect in progress but not for an outage,
 * reconnection with backoff
 * that never gives up, an `error` listener always attached, fresh credentials (rotated secret, IAM
 * token) for every connection, and `Cluster` set up as ElastiCache needs it.
 *
 * With `cluster: true` or `false` it resolves at once and connects in the background (commands sent
 * meanwhile wait for the first connection, each up to `commandTimeout`). With `cluster: 'auto'` (the
 * default) it first connects and asks `INFO cluster`; it then rejects, closing what it opened, when
 * Valkey cannot be reached or refuses the credentials, so create it again later (or set `cluster`).
 * Throws {@link CacheConfigError} for invalid options either way.
 */
export function createValkeyClient(options: ValkeyConnectionOptions | string): Promise<ValkeyClient> {
  return openClient(options, { commandTimers: true })
}

/** {@link createValkeyClient} for the cache's own store, whose commands `GuardedStore` bounds. */
export function createStoreClient(options: ValkeyConnectionOptions): Promise<ValkeyClient> {
  return openClient(options, { commandTimers: false })
}

async function openClient(
  options: ValkeyConnectionOptions | string,
  shape: ClientShape,
): Promise<ValkeyClient> {
  const resolved = resolveConnection(options)
  if (resolved.cluster === true) return supervise(createCluster(resolved, shape), resolved)
  if (resolved.cluster === false) return supervise(createStandalone(resolved, shape), resolved)

  // The probe is a complete standalone client: when the server is standalone, it is the result.
  const probe = supervise(createStandalone(resolved, shape), resolved)
  let cluster: boolean
  try {
    cluster = await isClusterMode(probe, resolved)
  } catch (error) {
    probe.disconnect()
    throw error
  }
  if (!cluster) {
    if (resolved.readFrom === 'primary') return probe
    probe.disconnect()
    throw new CacheConfigError('readFrom', "'replica' needs cluster mode, and this server is standalone")
  }
  probe.disconnect()
  if (resolved.db !== 0)
    throw new CacheConfigError('db', 'this server is a cluster, which has only database 0')
  return supervise(createCluster(resolved, shape), resolved)
}
