import type { S3Client } from '@aws-sdk/client-s3'
import type { ReadStatus, WarmOptions, WarmProgress, WarmResult } from './cache-api'
import { forEachConcurrent } from './concurrency'
import { CacheConfigError } from './errors'
import { validateKey } from './keys'
import { readOptions } from './option-reader'
import { type ListedObject, listObjects } from './origin/s3'

export interface WarmDeps {
  s3: S3Client
  bucket: string
  maxObjectBytes: number
  s3TimeoutMs: number
  /** One object through the read path (L1 → one GET → S3), as `get` reads it: its status and body size. */
  read(key: string, bucket: string): Promise<{ status: ReadStatus; bytes: number }>
}

/** The defaults stated in {@link WarmOptions}, in one place. */
const DEFAULTS = {
  prefix: undefined,
  keys: undefined,
  bucket: undefined,
  concurrency: 8,
  onProgress: undefined,
} as const satisfies Record<keyof WarmOptions, unknown>
const MAX_ERRORS = 20

/** Loads many objects into the cache with bounded concurrency; a fresh entry costs one GET and no S3 call. */
export async function warmCache(deps: WarmDeps, given: WarmOptions = {}): Promise<WarmResult> {
  const options = readOptions(given, DEFAULTS)
  const bucket = options.bucket ?? deps.bucket
  validateKey(bucket, 'bucket')
  const { concurrency } = options
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
        const { status, bytes } = await deps.read(key, bucket)
        if (status === 'miss') {
          progress.loaded++
          progress.bytes += bytes
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
