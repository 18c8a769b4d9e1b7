import { CacheConfigError } from './errors'
import { validateKey } from './keys'

/** Tags one entry may carry. */
export const MAX_TAGS_PER_ENTRY = 64

/**
 * The S3 user metadata (`x-amz-meta-cache-tags`) that keeps the tags given to `put` with the object, so
 * every process that loads the object again from S3 tags its entry the same way.
 */
export const TAGS_METADATA = 'cache-tags'

/** Bytes of {@link TAGS_METADATA} at most: S3 allows 2 KB of user metadata in all. */
const MAX_TAGS_METADATA_BYTES = 1024

/**
 * `tags` as given to `put`, `wrap`, `setTags` or `invalidateTags`: an array of non-empty, well-formed
 * strings of at most 1024 UTF-8 bytes (`InvalidKeyError` otherwise), at most `max` of them
 * (`CacheConfigError`). Duplicates are dropped.
 */
export function validateTags(tags: unknown, option: string, max = MAX_TAGS_PER_ENTRY): string[] {
  if (!Array.isArray(tags)) throw new CacheConfigError(option, 'expected an array of strings')
  for (const tag of tags) validateKey(tag, 'tag')
  const unique = [...new Set(tags as string[])]
  if (unique.length > max) throw new CacheConfigError(option, `expected at most ${max} tags`)
  return unique
}

/**
 * The entry metadata of a `wrap` value that names the Valkey entry keys it was built from (its
 * dependencies), as {@link TAGS_METADATA} names its tags: a process that holds the value in L1 after
 * reading it from Valkey knows what a local change must take it down with.
 */
export const DEPENDENCIES_METADATA = 'cache-dependencies'

/** The dependencies of an entry, from {@link DEPENDENCIES_METADATA} (none when absent). */
export function dependenciesOf(metadata: Record<string, string> | undefined): string[] {
  const value = metadata?.[DEPENDENCIES_METADATA]
  return value ? value.split(',') : []
}

/** The tags as S3 user metadata: URI-encoded, comma-separated (metadata is US-ASCII). */
export function tagsMetadata(tags: readonly string[]): string {
  const value = tags.map(encodeURIComponent).join(',')
  if (value.length > MAX_TAGS_METADATA_BYTES) {
    throw new CacheConfigError('tags', `take more than ${MAX_TAGS_METADATA_BYTES} bytes of S3 metadata`)
  }
  return value
}

/** The tags kept in an object's S3 metadata by `put` (a malformed one is ignored). */
export function tagsOf(metadata: Record<string, string> | undefined): string[] | undefined {
  const value = metadata?.[TAGS_METADATA]
  if (!value) return undefined
  const tags: string[] = []
  for (const part of value.split(',')) {
    try {
      const tag = decodeURIComponent(part)
      if (tag !== '') tags.push(tag)
    } catch {
      // Not written by `put`: skipped rather than failing every read of the object.
    }
  }
  return tags.slice(0, MAX_TAGS_PER_ENTRY)
}
