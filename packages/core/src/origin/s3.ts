import {
  GetObjectCommand,
  type GetObjectCommandOutput,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3'
import { withDeadline } from '../deadline'
import { type Entry, EntryKind } from '../entry'
import { OriginError } from '../errors'
import type { LoadOutcome } from '../read-contract'
import { tagsOf } from '../tags'

interface S3Failure {
  name?: string
  $metadata?: { httpStatusCode?: number }
}

/** Bounds an S3 call, body included: the signal aborts the request, the deadline also covers the body stream. */
function bounded<T>(timeoutMs: number, what: string, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  return withDeadline(
    timeoutMs,
    run,
    () => new OriginError(`S3 ${what} did not answer within ${timeoutMs} ms`),
  )
}

export interface LoadRequest {
  s3: S3Client
  bucket: string
  key: string
  /** The stale entry being revalidated: its ETag goes into IfNoneMatch. */
  previous?: Entry | undefined
  timeoutMs: number
  maxObjectBytes: number
  /** Answer `oversized` without reading the body when S3 says it is over `maxObjectBytes` (for warm-up). Default `false`. */
  skipOversized?: boolean | undefined
  /** Aborts the request (body included) besides the timeout; the load then throws its reason. Default: none. */
  signal?: AbortSignal | undefined
}

type Body = NonNullable<GetObjectCommandOutput['Body']>

/**
 * The body, buffered once: with a known length, each chunk is copied into one buffer of that size as
 * it arrives (collecting the chunks and joining them, as the SDK's `transformToByteArray` does, holds
 * the object twice at the end). A body that ends short of, or runs past, its length is an error.
 */
async function readBody(body: Body | undefined, length: number | undefined): Promise<Uint8Array> {
  if (body === undefined) return new Uint8Array(0)
  if (length === undefined || !(Symbol.asyncIterator in body)) return body.transformToByteArray()
  const out = new Uint8Array(length)
  let offset = 0
  for await (const chunk of body as AsyncIterable<Uint8Array>) {
    if (offset + chunk.byteLength > length)
      throw new OriginError(`S3 body is longer than its ${length} bytes`)
    out.set(chunk, offset)
    offset += chunk.byteLength
  }
  if (offset !== length) throw new OriginError(`S3 body ended after ${offset} of its ${length} bytes`)
  return out
}

/** GetObject, conditional on the previous ETag when revalidating: the S3 side of the read path's {@link LoadOutcome}. */
export async function loadObject(request: LoadRequest): Promise<LoadOutcome> {
  const { s3, bucket, key, previous } = request
  try {
    return await bounded(request.timeoutMs, 'GetObject', async (deadline) => {
      const command = new GetObjectCommand({ Bucket: bucket, Key: key, IfNoneMatch: previous?.etag })
      const abortSignal = request.signal ? AbortSignal.any([deadline, request.signal]) : deadline
      const response = await s3.send(command, { abortSignal })
      const length = response.ContentLength
      if (request.skipOversized && length !== undefined && length > request.maxObjectBytes) {
        // Never read: ends the request instead of downloading an object that will not be stored.
        ;(response.Body as { destroy?: () => void } | undefined)?.destroy?.()
        return { type: 'oversized', bytes: length }
      }
      const body = await readBody(response.Body, length)
      return {
        type: 'entry',
        cacheable: body.byteLength <= request.maxObjectBytes,
        tags: tagsOf(response.Metadata),
        data: {
          kind: EntryKind.object,
          body,
          etag: response.ETag,
          contentType: response.ContentType,
          lastModified: response.LastModified?.getTime(),
          metadata: response.Metadata ?? {},
        },
      }
    })
  } catch (error) {
    // The callers gave up: their reason (AbortError, TimeoutError), not an origin failure.
    if (request.signal?.aborted) throw request.signal.reason
    const failure = error as S3Failure
    const status = failure.$metadata?.httpStatusCode
    if (failure.name === 'NoSuchKey' || status === 404) return { type: 'missing' }
    if (status === 304 || failure.name === 'NotModified') return { type: 'unchanged' }
    if (error instanceof OriginError) throw error
    throw new OriginError(
      `S3 GetObject failed for ${key}: ${failure.name ?? 'error'}${status ? ` (${status})` : ''}`,
      {
        cause: error,
      },
    )
  }
}

export interface PutRequest {
  s3: S3Client
  bucket: string
  key: string
  body: Uint8Array
  contentType?: string | undefined
  cacheControl?: string | undefined
  metadata?: Record<string, string> | undefined
  timeoutMs: number
}

/** PutObject; resolves to the new ETag. */
export async function putObject(request: PutRequest): Promise<{ etag: string | undefined }> {
  const { s3, bucket, key, body } = request
  try {
    return await bounded(request.timeoutMs, 'PutObject', async (abortSignal) => {
      const command = new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: body,
        ContentType: request.contentType,
        CacheControl: request.cacheControl,
        Metadata: request.metadata,
      })
      const response = await s3.send(command, { abortSignal })
      return { etag: response.ETag }
    })
  } catch (error) {
    if (error instanceof OriginError) throw error
    throw new OriginError(`S3 PutObject failed for ${key}: ${(error as S3Failure).name ?? 'error'}`, {
      cause: error,
    })
  }
}

/** One object of a listing: its key and size in bytes. */
export interface ListedObject {
  key: string
  size: number | undefined
}

/** ListObjectsV2, one page (up to 1000 keys) at a time, each call bounded by `timeoutMs`. */
export async function* listObjects(request: {
  s3: S3Client
  bucket: string
  prefix: string | undefined
  timeoutMs: number
}): AsyncGenerator<ListedObject[]> {
  let token: string | undefined
  do {
    const page = await bounded(request.timeoutMs, 'ListObjectsV2', (abortSignal) =>
      request.s3
        .send(
          new ListObjectsV2Command({
            Bucket: request.bucket,
            Prefix: request.prefix,
            ContinuationToken: token,
          }),
          { abortSignal },
        )
        .catch((error: S3Failure) => {
          const status = error.$metadata?.httpStatusCode
          throw new OriginError(
            `S3 ListObjectsV2 failed for bucket ${request.bucket}: ${error.name ?? 'error'}${status ? ` (${status})` : ''}`,
            { cause: error },
          )
        }),
    )
    yield (page.Contents ?? []).flatMap((item) => (item.Key ? [{ key: item.Key, size: item.Size }] : []))
    token = page.IsTruncated ? page.NextContinuationToken : undefined
  } while (token)
}
