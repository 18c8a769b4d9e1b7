import type { GetOptions, S3Cache, WrapOptions } from './cache-api'
import type { StandardSchemaV1 } from './schema'

/**
 * A view of `cache` whose reads stop waiting when `signal` aborts, unless a call passes its own
 * `signal`. Everything else is the cache itself (same connection, same L1).
 */
export function withSignal(cache: S3Cache, signal: AbortSignal): S3Cache {
  const signalled = <O extends { signal?: AbortSignal }>(options: O | undefined): O =>
    (options?.signal ? options : { ...options, signal }) as O
  return {
    ...cache,
    get: (key, options?: GetOptions) => cache.get(key, signalled(options)),
    getText: (key, options?: GetOptions) => cache.getText(key, signalled(options)),
    getJson: ((key: string, schema?: StandardSchemaV1, options?: GetOptions) =>
      cache.getJson(key, schema as undefined, signalled(options))) as S3Cache['getJson'],
    wrap: (key, loader, options?: WrapOptions) => cache.wrap(key, loader, signalled(options)),
  }
}
