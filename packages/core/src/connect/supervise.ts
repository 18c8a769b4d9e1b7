import type { Cluster, Redis } from 'iovalkey'
import { isConnectionLost, redactAuthArgs, toValkeyError, withTlsHint } from './errors'
import type { ValkeyClient } from './options'
import { outageReporter } from './outage'
import type { ResolvedConnection } from './resolve'

/**
 * Maps raw client errors for reports: scrubbed, and with a TLS hint while the client has never been
 * answered (a TLS mismatch shows up as a reset or a timeout, not as a clear error).
 */
export function errorMapper(
  resolved: ResolvedConnection,
  everReady: () => boolean,
): (error: unknown) => Error {
  return (error) => {
    const mapped = toValkeyError(error, resolved.username)
    return everReady() ? mapped : withTlsHint(mapped, resolved.tls !== undefined)
  }
}

/**
 * Sends `AUTH` with a fresh token on every ready connection, before ElastiCache's 12-hour IAM limit.
 * A frozen Lambda runs the overdue tick once when it thaws, however long the freeze (an interval
 * never fires twice to catch up).
 */
function keepAuthenticated(
  client: ValkeyClient,
  resolved: ResolvedConnection,
  report: (error: unknown) => void,
): void {
  const { source, reauthenticateMs } = resolved
  if (!source || reauthenticateMs === undefined) return
  // A connection that dropped needs no re-AUTH (after a thaw, the tick may run before the close is
  // seen): its replacement authenticates with fresh credentials.
  const reportUnlessLost = (error: unknown) => {
    if (!isConnectionLost(error)) report(error)
  }
  const timer = setInterval(async () => {
    const nodes = client.isCluster ? (client as Cluster).nodes('all') : [client as Redis]
    const ready = nodes.filter((node) => node.status === 'ready')
    if (ready.length === 0) return
    try {
      const { username, password } = await source()
      await Promise.all(
        ready.map((node) => node.call('AUTH', username ?? 'default', password).catch(reportUnlessLost)),
      )
    } catch (error) {
      report(error)
    }
  }, reauthenticateMs)
  // Never keeps a process (a CLI, a test) alive.
  timer.unref()
  client.once('end', () => clearInterval(timer))
}

/** iovalkey's timer before the next connection attempt, unref'd like the cache's own timers. */
function unrefReconnectTimer(client: ValkeyClient): void {
  ;(client as unknown as { reconnectTimeout?: NodeJS.Timeout | null }).reconnectTimeout?.unref()
}

/**
 * Makes a new client safe to keep for the life of a Lambda execution environment: an `error` listener
 * is always attached (no unhandled `error` event, ever), errors reach `onError` once per outage,
 * commands wait for a reconnect in progress but fail fast once an attempt has failed, and IAM
 * connections re-authenticate on a timer.
 */
export function supervise<T extends ValkeyClient>(client: T, resolved: ResolvedConnection): T {
  let everReady = false
  const reporter = outageReporter(
    resolved.onError,
    errorMapper(resolved, () => everReady),
  )
  const onError = (error: unknown) => {
    redactAuthArgs(error)
    reporter.report(error)
  }
  client.on('error', onError)
  // Commands sent while a dropped connection is being re-established wait for it (a reconnect in
  // progress, as after a Lambda thaw, is not an outage). Once an attempt has failed, commands fail at
  // once, so the cache falls back to S3 without waiting for the next attempt.
  let reconnects = 0
  client.on('ready', () => {
    everReady = true
    reconnects = 0
    reporter.recovered()
    client.options.enableOfflineQueue = true
  })
  client.on('reconnecting', () => {
    if (++reconnects > 1) client.options.enableOfflineQueue = false
    unrefReconnectTimer(client)
  })
  if (client.isCluster) {
    const cluster = client as Cluster
    cluster.on('node error', onError)
    cluster.on('+node', (node: Redis) => node.on('ready', reporter.recovered))
    // Before the first ready, Cluster queues commands without a timeout: fail them at every failed
    // attempt, as a standalone client does with maxRetriesPerRequest 0.
    cluster.on('reconnecting', () => {
      const flush = (cluster as unknown as { flushQueue?: (error: Error) => void }).flushQueue
      flush?.call(cluster, new Error('None of startup nodes is available'))
    })
  }
  keepAuthenticated(client, resolved, reporter.report)
  return client
}
