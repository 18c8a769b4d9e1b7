import { BentoCache, bentostore } from 'bentocache'
import { memoryDriver } from 'bentocache/drivers/memory'
import { redisDriver } from 'bentocache/drivers/redis'
import { Redis as IORedis } from 'ioredis'
import type { Endpoints } from '../env'
import { makeOrigin } from './origin'
import type { Contender } from './types'

/** bentocache `getOrSet` over its ioredis driver; with `l1`, its memory driver in front (16 MB, like core's default). */
export function createBentocache(endpoints: Endpoints, options: { name: string; l1?: boolean }): Contender {
  const connection = new IORedis({
    host: endpoints.valkeyHost,
    port: endpoints.valkeyPort,
    maxRetriesPerRequest: 1,
  })
  const origin = makeOrigin(endpoints)
  const store = options.l1
    ? bentostore()
        .useL1Layer(memoryDriver({ maxSize: '16mb' }))
        .useL2Layer(redisDriver({ connection }))
    : bentostore().useL2Layer(redisDriver({ connection }))
  const bento = new BentoCache({ default: 'cache', stores: { cache: store } })
  return {
    name: options.name,
    read: (key) => bento.getOrSet({ key, ttl: '1h', factory: () => origin.loadJson(key) }),
    originCalls: origin.calls,
    async close() {
      await bento.disconnectAll()
      connection.disconnect()
      origin.close()
    },
  }
}
