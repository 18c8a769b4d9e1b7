import type { S3Client } from '@aws-sdk/client-s3'
import { forEachConcurrent } from './concurrency'
import { CacheConfigError } from './errors'
import { validateKey } from './keys'
import { type ListedObject, listObjects } from './origin/s3'
import type { ReadResult } from './read-through'

/** Options of `cache.warm`. */
export interface WarmOptions {
  /** Warm the objects whose keys start with this (ListObjectsV2, paginated). Default: the whole bucket. */
  prefix?: string
  /**
   * Warm exactly these keys instead of listing the bucket. Their sizes are unknown beforehand, so an
   * object over `maxObjectBytes` is downloaded once and skipped. Default: none (list).
   */
  keys?: readonly string[]
  /** Default: the cache's `bucket`. */
  bucket?: string
  /** Objects read at once. Default `8`. */
  concurrency?: number
  /** Called after each object, and once when the listing has ended. Default: none. */
  onProgress?: (progress: WarmProgress) => void
}

/** What `cache.warm` did. */
export interface WarmResult {
  /** Objects loaded from S3 and stored. */
  loaded: number
  /** Objects left alone: entry already fresh, larger than `maxObjectBytes`, or being loaded by another process. */
  skipped: number
  /** Objects that could not be loaded (missing, S3 error); the first 20 are in `errors`. */
  failed: number
  /** Body bytes loaded from S3 (before compression). */
  bytes: number
  errors: { key: string; error: Error }[]
}

/** Progress of `cache.warm`: counts so far, and `total` known so far (it grows while `listing`). */
export interface WarmProgress extends Omit<WarmResult, 'errors'> {
  done: number
  total: number
  /** Whether more pages of the listing may follow (then `total` is not final yet). */
  listing: boolean
}

export interface WarmDeps {
  s3: S3Client
  bucket: string
  maxObjectBytes: number
  s3TimeoutMs: number
  /** One object through the read path (L1 → one GET → S3), as `get` reads it. */
  read(key: string, bucket: string): Promise<ReadResult>
}

const DEFAULT_CONCURRENCY = 8
const MAX_ERRORS = 20

/** Loads many objects into the cache with bounded concurrency; a fresh entry costs one GET and no S3 call. */
export async function warmCache(deps: WarmDeps, options: WarmOptions = {}): Promise<WarmResult> {
  const bucket = options.bucket ?? deps.bucket
  validateKey(bucket, 'bucket')
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 1000)
    throw new CacheConfigError('concurrency', 'expected an integer from 1 to 1000')
  if (options.keys !== undefined && options.prefix !== undefined)
    throw new CacheConfigError('keys', 'pass either keys or prefix, not both')
  if (options.keys !== undefined) for (const key of options.keys) validateKey(key)

  const progress: WarmProgress = {
    loaded: 0,
    skipped: 0,
    failed: 0,
    bytes: 0,
    done: 0,
    total: 0,
    listing: true,
  }
  const errors: WarmResult['errors'] = []
  const notify = () => {
    try {
      options.onProgress?.({ ...progress })
    } catch {
      // A broken progress callback must not stop the warm-up.
    }
  }

  async function* objects(): AsyncGenerator<ListedObject> {
    if (options.keys) {
      progress.total = options.keys.length
      progress.listing = false
      yield* options.keys.map((key) => ({ key, size: undefined }))
      return
    }
    const pages = listObjects({ s3: deps.s3, bucket, prefix: options.prefix, timeoutMs: deps.s3TimeoutMs })
    for await (const page of pages) {
      progress.total += page.length
      yield* page
    }
    progress.listing = false
    notify()
  }

  const warmOne = async ({ key, size }: ListedObject) => {
    try {
      // The listing says how large an object is: one over the limit is never downloaded.
      if (size !== undefined && size > deps.maxObjectBytes) progress.skipped++
      else {
        const { status, entry } = await deps.read(key, bucket)
        if (status === 'miss') {
          progress.loaded++
          progress.bytes += entry.body.byteLength
        } else progress.skipped++
      }
    } catch (error) {
      progress.failed++
      if (errors.length < MAX_ERRORS) errors.push({ key, error: error as Error })
    }
    progress.done++
    notify()
  }

  await forEachConcurrent(objects(), concurrency, warmOne)
  const { done: _done, total: _total, listing: _listing, ...counts } = progress
  return { ...counts, errors }
}
