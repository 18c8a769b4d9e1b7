import KeyvValkey from '@keyv/valkey'
import { createCache } from 'cache-manager'
import { Keyv } from 'keyv'
import type { Endpoints } from '../env'
import { makeOrigin } from './origin'
import type { Contender } from './types'

/**
 * cache-manager 7 `wrap` over Keyv and @keyv/valkey. `useRedisSets: false` as that
 * adapter's README recommends for performance (the default adds a SADD per write).
 */
export function createCacheManager(endpoints: Endpoints): Contender {
  const origin = makeOrigin(endpoints)
  // The adapter makes its own iovalkey client (it pins an older iovalkey than core's).
  const store = new KeyvValkey({
    host: endpoints.valkeyHost,
    port: endpoints.valkeyPort,
    maxRetriesPerRequest: 1,
    useRedisSets: false,
  })
  const keyv = new Keyv({ store })
  const cache = createCache({ stores: [keyv] })
  return {
    name: 'cache-manager',
    read: (key) => cache.wrap(key, () => origin.loadJson(key), 3_600_000),
    originCalls: origin.calls,
    async close() {
      await cache.disconnect()
      origin.close()
    },
  }
}
