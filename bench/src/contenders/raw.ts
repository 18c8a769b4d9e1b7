import { Redis } from 'iovalkey'
import type { Endpoints } from '../env'
import { makeOrigin } from './origin'
import type { Contender } from './types'

const TTL_MS = 3_600_000

/**
 * The floor: one `getBuffer` and `JSON.parse`, the least any Valkey cache can do per hit.
 * On a miss it does naive cache-aside (GetObject, SET PX), with no stampede protection.
 */
export function createRaw(endpoints: Endpoints): Contender {
  const redis = new Redis({ host: endpoints.valkeyHost, port: endpoints.valkeyPort, maxRetriesPerRequest: 1 })
  const origin = makeOrigin(endpoints)
  return {
    name: 'raw floor',
    async read(key) {
      const cacheKey = `raw:${key}`
      const buffer = await redis.getBuffer(cacheKey)
      if (buffer) return JSON.parse(buffer.toString('utf8'))
      const json = await origin.loadText(key)
      await redis.set(cacheKey, json, 'PX', TTL_MS)
      return JSON.parse(json)
    },
    originCalls: origin.calls,
    async close() {
      redis.disconnect()
      origin.close()
    },
  }
}
