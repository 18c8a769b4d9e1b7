import type { GlideClient } from '@valkey/valkey-glide'
import type { Endpoints } from '../env'
import { type CoreVariant, createCore } from './core'
import { makeOrigin } from './origin'
import type { Contender } from './types'

const TTL_MS = 3_600_000

/**
 * A standalone `GlideClient` (`@valkey/valkey-glide`) on the bench's server, GLIDE's logger off.
 * GLIDE is imported here, when a GLIDE contender is created, so runs and stampede children without
 * one never load its native module.
 */
export async function glideClient(endpoints: Endpoints): Promise<GlideClient> {
  const { GlideClient, Logger } = await import('@valkey/valkey-glide')
  Logger.setLoggerConfig('off')
  return GlideClient.createClient({
    addresses: [{ host: endpoints.valkeyHost, port: endpoints.valkeyPort }],
    // Longer than GLIDE's 250 ms default: the bench measures throughput, and on a busy 2-core machine a
    // request queued behind 64 concurrent 100 KiB replies can wait longer (it then failed the whole run).
    requestTimeout: 2000,
  })
}

/**
 * The GLIDE floor, like the raw iovalkey one: one GET with GLIDE's bytes decoder and `JSON.parse`.
 * On a miss it does naive cache-aside (GetObject, SET PX), with no stampede protection.
 */
export async function createGlideRaw(endpoints: Endpoints): Promise<Contender> {
  const { Decoder, TimeUnit } = await import('@valkey/valkey-glide')
  const client = await glideClient(endpoints)
  const origin = makeOrigin(endpoints)
  const expiry = { type: TimeUnit.Milliseconds, count: TTL_MS } as const
  return {
    name: 'raw GLIDE',
    async read(key) {
      const cacheKey = `glide:${key}`
      const buffer = (await client.get(cacheKey, { decoder: Decoder.Bytes })) as Buffer | null
      if (buffer) return JSON.parse(buffer.toString('utf8'))
      const json = await origin.loadText(key)
      await client.set(cacheKey, json, { expiry })
      return JSON.parse(json)
    },
    originCalls: origin.calls,
    async close() {
      client.close()
      origin.close()
    },
  }
}

/** core on a `GlideClient` it is handed (the app's: core leaves it open, this contender closes it). */
export async function createCoreGlide(endpoints: Endpoints, variant: CoreVariant): Promise<Contender> {
  const client = await glideClient(endpoints)
  const core = createCore(endpoints, variant, client)
  return {
    ...core,
    async close() {
      await core.close()
      client.close()
    },
  }
}
