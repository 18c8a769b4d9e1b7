import { connectionReady, createStoreClient, untilReady } from '../connect/create-client'
import { redactAuthArgs, toValkeyError } from '../connect/errors'
import { CONNECTION_DEFAULTS, type ValkeyClient, type ValkeyConnectionOptions } from '../connect/options'
import { outageReporter } from '../connect/outage'
import { resolveConnection } from '../connect/resolve'
import { type GlideClientLike, GlideStore, isGlideClient } from './glide'
import { MemoryStore } from './memory'
import type { Store } from './store'
import { ValkeyStore } from './valkey'

let warnedAboutMemory = false

function isClient(value: unknown): value is ValkeyClient {
  // Duck-typed: `instanceof` fails when the app and this library resolve different iovalkey copies.
  return typeof (value as ValkeyClient | undefined)?.getBuffer === 'function'
}

/**
 * A client passed in may have no `error` listener, and an unhandled `error` event would crash
 * the process: report connection errors once per outage (until the client is ready again).
 */
function superviseInstance(client: ValkeyClient, onError: (error: Error) => void): void {
  if (client.listenerCount('error') > 0) return
  const reporter = outageReporter(onError, (error) => toValkeyError(error))
  client.on('ready', reporter.recovered)
  client.on('error', (error: unknown) => {
    redactAuthArgs(error)
    reporter.report(error)
  })
}

/**
 * Picks the store for the `valkey` option: an iovalkey or GLIDE instance (left open by `close()`),
 * options or a URL (validated now, connected on first use), or, when omitted, the memory store.
 */
export function selectStore(
  valkey: ValkeyClient | GlideClientLike | ValkeyConnectionOptions | string | undefined,
  onError: (error: Error) => void,
  timeoutMs: number,
): Store {
  // Asked for by name: no warning.
  if (valkey === 'memory') return new MemoryStore()
  if (valkey === undefined) {
    if (!warnedAboutMemory) {
      warnedAboutMemory = true
      process.emitWarning(
        'valkey-s3-cache: no `valkey` option, using the in-process memory store (each Lambda instance caches alone)',
        { code: 'VALKEY_S3_CACHE_MEMORY_STORE' },
      )
    }
    return new MemoryStore()
  }
  // GLIDE reconnects by itself and reports nothing as events: its errors reach the cache per command.
  if (isGlideClient(valkey)) return new GlideStore(valkey, { timeoutMs })
  if (isClient(valkey)) {
    superviseInstance(valkey, onError)
    // Its owner chose its timeouts; waiting for it to be ready is bounded by the defaults.
    const { connectTimeout, commandTimeout } = CONNECTION_DEFAULTS
    const readyMs = connectTimeout + 2 * commandTimeout
    return new ValkeyStore(valkey, {
      whenReady: (client) => {
        if (client.status === 'wait') client.connect().catch(() => {}) // lazyConnect: connect() is the first use
        return untilReady(client, readyMs, (error) => toValkeyError(error))
      },
      timeoutMs,
    })
  }
  const given = typeof valkey === 'string' ? { url: valkey } : valkey
  const options: ValkeyConnectionOptions = {
    ...given,
    onError: (error) => {
      given.onError?.(error)
      onError(error)
    },
  }
  const resolved = resolveConnection(options) // throws CacheConfigError now, not at the first request
  return new ValkeyStore(() => createStoreClient(options), {
    whenReady: (client) => connectionReady(client, resolved),
    timeoutMs,
  })
}
