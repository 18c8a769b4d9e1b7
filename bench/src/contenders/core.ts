import type { S3CacheOptions } from '@valkey-s3-cache/core'
import { createS3Cache } from '../core-module'
import type { Endpoints } from '../env'
import { DocSchema } from '../payload'
import { countedS3 } from './origin'
import type { Contender } from './types'

export interface CoreVariant {
  name: string
  /** Validate with the zod schema. */
  schema?: boolean
  /** Turn the in-process L1 on. */
  l1?: boolean
  /** `shareParsed: true`: one deep-frozen value per entry for all its readers. */
  shareParsed?: boolean
  /** `get` (bytes, no parsing) instead of `getJson`. */
  bytes?: boolean
  /** `false` turns compression off, or a fixed codec (diagnostics; the default is `'auto'`). */
  compression?: false | 'deflate' | 'zstd'
  /**
   * Read through `wrap` (its own key per variant) instead of `getJson`: the loader reads the object
   * with `getJson`. `tags`: the value's tags. `dependency`: the loader reads the object and this S3 key
   * through its context's `cache`, so the value depends on both.
   */
  wrap?: { tags?: readonly string[]; dependency?: string }
}

/** The second object `core-wrap-deps` reads (put by the tags scenario). */
export const DEPENDENCY_KEY = 'tags/dependency.json'

/**
 * @valkey-s3-cache/core as its README shows it: a URL, defaults for everything else. `client`: a
 * client to hand core instead of the URL (a GLIDE client, its own key prefix).
 */
export function createCore(
  endpoints: Endpoints,
  variant: CoreVariant,
  client?: S3CacheOptions['valkey'],
): Contender {
  const { s3, calls } = countedS3(endpoints)
  const cache = createS3Cache({
    s3,
    bucket: endpoints.bucket,
    valkey: client ?? `valkey://${endpoints.valkeyHost}:${endpoints.valkeyPort}`,
    ...(client ? { keyPrefix: 's3c-glide:' } : {}),
    ttl: '1h',
    ...(variant.compression === undefined
      ? {}
      : {
          compression: variant.compression && { codec: variant.compression },
          keyPrefix: `s3c-${variant.compression || 'plain'}:`,
        }),
    // A long L1 ttl so that the measurement sees L1 hits only.
    l1: variant.l1 ? { maxBytes: 16 * 1024 * 1024, ttl: '1h' } : false,
    shareParsed: variant.shareParsed === true,
  })
  const wrap = variant.wrap
  const read = wrap
    ? (key: string) =>
        cache.wrap(
          `wrap/${variant.name}/${key}`,
          async (context) => {
            if (!wrap.dependency) return cache.getJson<Record<string, unknown>>(key)
            const value = await context.cache.getJson<Record<string, unknown>>(key)
            await context.cache.getJson(wrap.dependency)
            return value
          },
          wrap.tags ? { tags: wrap.tags } : {},
        )
    : variant.bytes
      ? (key: string) => cache.get(key)
      : variant.schema
        ? (key: string) => cache.getJson(key, DocSchema)
        : (key: string) => cache.getJson(key)
  return {
    name: variant.name,
    read,
    originCalls: calls,
    async close() {
      await cache.close()
      s3.destroy()
    },
  }
}
