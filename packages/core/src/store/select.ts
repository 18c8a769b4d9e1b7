import { createStoreClient } from '../connect/create-client'
import { redactAuthArgs, toValkeyError } from '../connect/errors'
import type { ValkeyClient, ValkeyConnectionOptions } from '../connect/options'
import { outageReporter } from '../connect/outage'
import { resolveConnection } from '../connect/resolve'
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
 * Picks the store for the `valkey` option: an instance (left open by `close()`), options or a
 * URL (validated now, connected on first use), or, when omitted, the memory store.
 */
export function selectStore(
  valkey: ValkeyClient | ValkeyConnectionOptions | string | undefined,
  onError: (error: Error) => void,
): Store {
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
  if (isClient(valkey)) {
    superviseInstance(valkey, onError)
    return new ValkeyStore(valkey)
  }
  const given = typeof valkey === 'string' ? { url: valkey } : valkey
  const options: ValkeyConnectionOptions = {
    ...given,
    onError: (error) => {
      given.onError?.(error)
      onError(error)
    },
  }
  resolveConnection(options) // throws CacheConfigError now, not at the first request
  return new ValkeyStore(() => createStoreClient(options))
}
