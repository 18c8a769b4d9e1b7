import { type Cache, cachified, totalTtl } from '@epic-web/cachified'
import { Redis } from 'iovalkey'
import type { Endpoints } from '../env'
import { makeOrigin } from './origin'
import type { Contender } from './types'

/** A small cachified adapter for iovalkey, like cachified-redis-adapter: the entry as JSON, expiring with its total TTL. */
export function iovalkeyAdapter(redis: Redis): Cache {
  return {
    name: 'iovalkey',
    async get(key) {
      const json = await redis.get(key)
      return json === null ? null : JSON.parse(json)
    },
    async set(key, entry) {
      const ttl = totalTtl(entry.metadata)
      const json = JSON.stringify(entry)
      if (ttl === Number.POSITIVE_INFINITY) return redis.set(key, json)
      return redis.set(key, json, 'PX', Math.max(1, Math.ceil(ttl)))
    },
    async delete(key) {
      return redis.del(key)
    },
  }
}

/** @epic-web/cachified with `getFreshValue` loading from S3. */
export function createCachified(endpoints: Endpoints): Contender {
  const redis = new Redis({ host: endpoints.valkeyHost, port: endpoints.valkeyPort, maxRetriesPerRequest: 1 })
  const origin = makeOrigin(endpoints)
  const cache = iovalkeyAdapter(redis)
  return {
    name: 'cachified',
    read: (key) =>
      cachified({
        cache,
        key: `cachified:${key}`,
        ttl: 3_600_000,
        getFreshValue: () => origin.loadJson(key),
      }),
    originCalls: origin.calls,
    async close() {
      redis.disconnect()
      origin.close()
    },
  }
}
